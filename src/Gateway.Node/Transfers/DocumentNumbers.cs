using Gateway.Domain.Documents;
using Gateway.Domain.Values;
using Npgsql;

namespace Gateway.Node.Transfers;

/// <summary>Numbers documents the node issues, from per-kind, per-region, per-year sequences.</summary>
public static class DocumentNumbers
{
    public static async Task<DocumentNumber> NextAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string kind, DivisionCode region, int year, CancellationToken ct)
    {
        var sequence = await TransferStore.NextCertificateNumberAsync(conn, tx, $"{kind}:{region.Value}", year, ct);
        return DocumentNumber.Create(region, year, sequence);
    }
}
