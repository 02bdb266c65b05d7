using Gateway.Contracts.Exchange.V1;
using Gateway.Messaging;
using Gateway.Node.Application;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;

namespace Gateway.Node.Exchange;

/// <summary>Writes envelopes to the outbox inside the caller's transaction; the relay publishes them after commit.</summary>
public static class Outbound
{
    /// <summary>
    /// Largest envelope the node writes: below Kafka's default message.max.bytes (1 MB) with room for headers, so an
    /// envelope that was accepted can always be published. Every input is bounded far below this; the check is the backstop.
    /// </summary>
    public const int MaxEnvelopeBytes = 900 * 1024;

    public static Task<bool> EnqueueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, CancellationToken ct) =>
        EnqueueAsync(conn, tx, envelope, partitionKey: null, ct);

    /// <param name="partitionKey">
    /// The Kafka key, which decides the partition and so the order: record sync passes the person's key
    /// (<see cref="Gateway.Domain.Records.PersonKey"/>) so one person's changes stay in order. Null: the correlation id
    /// (the transfer), or the sender when there is none.
    /// </param>
    public static Task<bool> EnqueueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, string? partitionKey, CancellationToken ct)
    {
        // Built by EnvelopeFactory, which signs: an unsigned envelope here is a bug, and every receiver would refuse it.
        if (envelope.Signature is not { Value.IsEmpty: false })
            throw new InvalidOperationException($"A {envelope.MessageType} envelope reached the outbox unsigned; build envelopes with EnvelopeFactory.");
        var topic = TopicNames.Inbox(envelope.ReceiverProvince);
        // Set after signing, which is fine: the trace fields are not signed.
        if (!Telemetry.GatewayTelemetry.Source.HasListeners())
        {
            if (Telemetry.GatewayTelemetry.CurrentTraceParent() is { } current) envelope.Traceparent = current;
            return Enqueue(conn, tx, envelope, topic, partitionKey, ct);
        }
        return TracedAsync(conn, tx, envelope, topic, partitionKey, ct);
    }

    /// <summary>Async so the enqueue span is current only inside it, never left current in the caller.</summary>
    private static async Task<bool> TracedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, string topic, string? partitionKey, CancellationToken ct)
    {
        using var span = Telemetry.GatewayTelemetry.StartEnqueue(envelope, topic);
        try
        {
            return await Enqueue(conn, tx, envelope, topic, partitionKey, ct);
        }
        catch (Exception ex)
        {
            Telemetry.GatewayTelemetry.Failed(span, ex);
            throw;
        }
    }

    private static Task<bool> Enqueue(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, string topic, string? partitionKey, CancellationToken ct)
    {
        var bytes = envelope.ToByteArray();
        if (bytes.Length > MaxEnvelopeBytes) throw new EnvelopeTooLargeException(envelope.MessageType, bytes.Length, MaxEnvelopeBytes);
        return OutboxStore.EnqueueAsync(conn, tx, new OutboxMessage(
            MessageId: envelope.MessageId,
            MessageType: envelope.MessageType,
            Receiver: envelope.ReceiverProvince,
            Topic: topic,
            // Keyed by transfer so every message of one transfer stays in order on one partition.
            Key: partitionKey ?? (string.IsNullOrEmpty(envelope.CorrelationId) ? envelope.SenderProvince : envelope.CorrelationId),
            Payload: bytes,
            CorrelationId: string.IsNullOrEmpty(envelope.CorrelationId) ? null : envelope.CorrelationId,
            NeedsReceipt: envelope.MessageType != Receipt.Descriptor.Name,
            Log: MessageLogEntries.Of(MessageLogStore.Sent, envelope)),
            // Created (and first due) when the node's clock signed it: the relay claims by that clock, not the database's.
            now: envelope.SentAt?.ToDateTimeOffset(), ct);
    }
}
