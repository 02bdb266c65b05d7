using Gateway.Domain.Documents;
using Gateway.Domain.Values;
using Gateway.Storage;
using Npgsql;

namespace Gateway.Node.Transfers;

/// <summary>
/// Numbers documents the node issues, from per-kind, per-region, per-year sequences, inside the caller's
/// transaction so a number is used exactly when the document is stored (no gaps). Calls of one region
/// queue on the sequence row until commit; the benchmark measures that cost (docs/benchmarks.md).
/// A separate transaction would remove the queue but needs a second pooled connection per call, which
/// starves the pool under bursts.
/// </summary>
public static class DocumentNumbers
{
    public static async Task<DocumentNumber> NextAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string kind, DivisionCode region, int year, CancellationToken ct)
    {
        var sequence = await TransferStore.NextDocumentSequenceAsync(conn, tx, $"{kind}:{region.Value}", year, ct);
        return DocumentNumber.Create(region, year, sequence);
    }
}
