using Gateway.Contracts.Exchange.V1;
using Gateway.Node.Application;
using Gateway.Node.Infrastructure;
using Gateway.Node.Transfers;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;

namespace Gateway.Node.Exchange;

/// <summary>
/// Reception awareness, inbound side: a receipt marks this node's envelopes delivered, a rejection fails them at once.
/// Either counts only from the province each envelope was sent to; a receipt naming another province's envelope is
/// dead-lettered whole and changes nothing.
/// </summary>
public sealed class ReceiptHandler(BusinessClock clock, ILogger<ReceiptHandler> logger)
{
    private const int MaxIdsPerReceipt = 5_000;

    public async Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, CancellationToken ct)
    {
        Receipt receipt;
        try { receipt = Receipt.Parser.ParseFrom(envelope.Payload); }
        catch (InvalidProtocolBufferException ex) { throw new PoisonMessageException($"Receipt payload is not valid: {ex.Message}"); }
        if (receipt.MessageIds.Count + receipt.Rejections.Count > MaxIdsPerReceipt)
            throw new PoisonMessageException($"A receipt names at most {MaxIdsPerReceipt} envelopes.");

        var sender = envelope.SenderProvince;
        var ids = receipt.MessageIds.Where(WireText.IsIdentifier).Distinct(StringComparer.Ordinal).ToList();
        var rejected = receipt.Rejections.Where(r => WireText.IsIdentifier(r.MessageId)).ToList();
        var foreign = await OutboxStore.ForeignMessageIdsAsync(conn, tx, sender, [.. ids, .. rejected.Select(r => r.MessageId)], ct);
        if (foreign.Count > 0)
            throw new UntrustedEnvelopeException(TrustCodes.ForeignReceipt,
                $"A receipt from {sender} names {foreign.Count} envelope(s) this node sent to another province (first: {TransferSteps.Bounded(foreign[0], 100)}).");

        var now = clock.UtcNow;
        await OutboxStore.MarkReceiptsAsync(conn, tx, sender, ids, now, ct);
        foreach (var rejection in rejected)
        {
            // The receiver refused it for good: re-sending cannot help; operators must look.
            var reason = WireText.Clean(rejection.Reason, 500);
            var (failed, correlationId, messageType) = await OutboxStore.MarkRejectedAsync(conn, tx, sender, rejection.MessageId, reason, now, ct);
            if (!failed || correlationId is null) continue;
            await TransferStore.MarkExchangeFailedAsync(conn, tx, correlationId, $"{sender} rejected {messageType}: {reason}", ct);
            logger.LogError("{Sender} rejected {MessageType} of {TransferId}: {Reason}", sender, messageType, correlationId, reason);
        }
    }
}
