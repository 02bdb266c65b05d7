using Gateway.Contracts.Exchange.V1;
using Gateway.Node.Transfers.Inbound;
using Gateway.Storage;
using Npgsql;

namespace Gateway.Node.Exchange;

/// <summary>What applying one inbound envelope did.</summary>
public enum InboundOutcome
{
    /// <summary>A receipt: the outbox rows it names are delivered.</summary>
    Receipt,
    /// <summary>First time this message id was seen: its handler ran.</summary>
    Applied,
    /// <summary>Seen before (dedupe): nothing happened again.</summary>
    Duplicate,
}

/// <summary>
/// The one path by which an inbound envelope takes effect, inside the caller's transaction: receipts to the receipt
/// handler, everything else deduped by message id then dispatched. The inbox and the operators' re-apply of a dead
/// letter both go through it, so a re-applied envelope already applied has no second effect.
/// </summary>
public sealed class InboundApply(InboundDispatcher dispatcher, ReceiptHandler receipts)
{
    /// <param name="fresh">The inbox's batch already recorded the id: true when it was new; null records it here.</param>
    public async Task<InboundOutcome> ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, bool? fresh, CancellationToken ct)
    {
        if (IsReceipt(envelope))
        {
            await receipts.HandleAsync(conn, tx, envelope, ct);
            return InboundOutcome.Receipt;
        }
        var first = fresh ?? await InboxStore.TryRecordAsync(conn, tx, envelope.MessageId, envelope.MessageType, envelope.SenderProvince, ct);
        if (!first) return InboundOutcome.Duplicate;
        await dispatcher.DispatchAsync(conn, tx, envelope, ct);
        return InboundOutcome.Applied;
    }

    public static bool IsReceipt(Envelope envelope) => envelope.MessageType == Receipt.Descriptor.Name;
}
