using Gateway.Contracts.Exchange.V1;
using Gateway.Messaging;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;

namespace Gateway.Node.Exchange;

/// <summary>Writes envelopes to the outbox inside the caller's transaction; the relay publishes them after commit.</summary>
public static class Outbound
{
    public static Task<bool> EnqueueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, CancellationToken ct) =>
        OutboxStore.EnqueueAsync(conn, tx, new OutboxMessage(
            MessageId: envelope.MessageId,
            MessageType: envelope.MessageType,
            Receiver: envelope.ReceiverProvince,
            Topic: TopicNames.Inbox(envelope.ReceiverProvince),
            // Keyed by transfer so every message of one transfer stays in order on one partition.
            Key: string.IsNullOrEmpty(envelope.CorrelationId) ? envelope.SenderProvince : envelope.CorrelationId,
            Payload: envelope.ToByteArray(),
            CorrelationId: string.IsNullOrEmpty(envelope.CorrelationId) ? null : envelope.CorrelationId,
            NeedsReceipt: envelope.MessageType != Receipt.Descriptor.Name), ct);
}
