using Gateway.Contracts.Exchange.V1;
using Gateway.Messaging.Signing;
using Gateway.Node.Application;
using Gateway.Node.Infrastructure;
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
/// The one path by which an inbound envelope takes effect, inside the caller's transaction: its signature verified
/// against the province directory first (before any handler reads the payload), then receipts to the receipt handler,
/// everything else deduped by message id, checked for freshness when new, and dispatched. The inbox and the operators'
/// re-apply of a dead letter both go through it, so a re-applied envelope is verified again and one already applied has
/// no second effect.
/// </summary>
public sealed class InboundApply(InboundDispatcher dispatcher, ReceiptHandler receipts, EnvelopeVerifier verifier, BusinessClock clock)
{
    /// <param name="fresh">The inbox's batch already recorded the id: true when it was new; null records it here.</param>
    public Task<InboundOutcome> ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, bool? fresh, CancellationToken ct) =>
        ApplyAsync(conn, tx, envelope, fresh, receivedAt: null, ct);

    /// <param name="fresh">The inbox's batch already recorded the id: true when it was new; null records it here.</param>
    /// <param name="receivedAt">
    /// When the envelope arrived, which its sent_at must be close to: now (null) for the inbox; a dead letter's first
    /// arrival for a re-apply, so an envelope refused for another reason can be re-applied after the window.
    /// </param>
    public async Task<InboundOutcome> ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, bool? fresh,
        DateTimeOffset? receivedAt, CancellationToken ct)
    {
        // Not answered when refused: the province it names may not have sent it.
        if (verifier.Check(envelope) is { } problem) throw new UntrustedEnvelopeException(problem.Code, problem.Message);
        var arrived = receivedAt ?? clock.UtcNow;
        if (IsReceipt(envelope))
        {
            // Receipts have no stable id to dedupe by: each must be fresh.
            RequireFresh(envelope, arrived);
            await receipts.HandleAsync(conn, tx, envelope, ct);
            await MessageLogStore.AppendAsync(conn, tx, MessageLogEntries.Received(envelope), null, ct);
            return InboundOutcome.Receipt;
        }
        var first = fresh ?? await InboxStore.TryRecordAsync(conn, tx, envelope.MessageId, envelope.MessageType, envelope.SenderProvince,
            MessageLogEntries.Received(envelope), ct);
        if (!first) return InboundOutcome.Duplicate;
        // A replay of an id already applied is deduped above; a never-seen id must be recent (the caller rolls back the record).
        RequireFresh(envelope, arrived);
        await dispatcher.DispatchAsync(conn, tx, envelope, ct);
        return InboundOutcome.Applied;
    }

    private void RequireFresh(Envelope envelope, DateTimeOffset arrived)
    {
        if (verifier.CheckFresh(envelope, arrived) is { } stale) throw new UntrustedEnvelopeException(stale.Code, stale.Message);
    }

    public static bool IsReceipt(Envelope envelope) => envelope.MessageType == Receipt.Descriptor.Name;
}
