using Gateway.Contracts.Exchange.V1;
using Gateway.Messaging.Signing;
using Gateway.Storage;
using Google.Protobuf;

namespace Gateway.Node.Exchange;

/// <summary>The message log entry of an envelope (docs/security.md, "Message log"): its identity fields and its digest.</summary>
public static class MessageLogEntries
{
    public static MessageLogEntry Of(string kind, Envelope e) => new(kind, NullIfEmpty(e.MessageId), NullIfEmpty(e.MessageType),
        NullIfEmpty(e.SenderProvince), NullIfEmpty(e.ReceiverProvince), NullIfEmpty(e.CorrelationId), MessageLogFormat.EnvelopeDigest(e));

    /// <summary>A received envelope's entry, keeping the bytes it arrived as (serialised again when the caller has none).</summary>
    public static MessageLogEntry Received(Envelope e, byte[]? wire = null) =>
        Of(MessageLogStore.Received, e) with { Envelope = wire ?? e.ToByteArray() };

    /// <summary>A dead-lettered record: the envelope's entry when it could be read, else only the digest of its raw bytes.</summary>
    public static MessageLogEntry DeadLettered(Envelope? e, byte[]? raw) => e is not null
        ? Of(MessageLogStore.DeadLettered, e)
        : new(MessageLogStore.DeadLettered, null, null, null, null, null, MessageLogFormat.RecordDigest(raw ?? []));

    // Absent and empty are the same in the canonical bytes; the log stores null for both.
    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}
