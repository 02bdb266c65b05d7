using Gateway.Domain.Documents;
using Gateway.Domain.Values;
using Gateway.Storage;

namespace Gateway.Node.Transfers;

/// <summary>
/// Numbers documents the node issues, from per-kind, per-region, per-year sequences. A number is taken in
/// its own short transaction, not the caller's: holding the sequence row until the caller commits would
/// serialise every call of a region. A call that later fails leaves a gap, as paper registers do.
/// </summary>
public sealed class DocumentNumbers(NodeDatabase db)
{
    public async Task<DocumentNumber> NextAsync(string kind, DivisionCode region, int year, CancellationToken ct)
    {
        var sequence = await db.InTransactionAsync((conn, tx, token) =>
            TransferStore.NextCertificateNumberAsync(conn, tx, $"{kind}:{region.Value}", year, token), ct);
        return DocumentNumber.Create(region, year, sequence);
    }
}
