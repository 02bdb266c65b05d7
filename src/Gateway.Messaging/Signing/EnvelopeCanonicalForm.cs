using System.Buffers.Binary;
using System.Text;
using Gateway.Contracts.Exchange.V1;

namespace Gateway.Messaging.Signing;

/// <summary>
/// The bytes an envelope's signature covers (docs/security.md, "Canonical form"). Independent of protobuf's
/// serialisation: the domain tag "GW-ENVELOPE-SIG/1", then signature.type, signature.key_id, message_id, message_type,
/// sender_province, receiver_province, correlation_id, causation_id (each: 4-byte big-endian byte length + UTF-8),
/// sent_at (8-byte big-endian seconds + 4-byte big-endian nanos; both 0 when absent), schema_version (length + UTF-8),
/// payload (4-byte big-endian length + the bytes). <c>attempt</c> is left out so a re-send keeps its signature, and so
/// is the signature value itself.
/// </summary>
public static class EnvelopeCanonicalForm
{
    public static ReadOnlySpan<byte> Tag => "GW-ENVELOPE-SIG/1"u8;

    public static byte[] Of(Envelope e)
    {
        var type = e.Signature?.Type ?? "";
        var keyId = e.Signature?.KeyId ?? "";
        string[] leading = [type, keyId, e.MessageId, e.MessageType, e.SenderProvince, e.ReceiverProvince, e.CorrelationId, e.CausationId];
        var size = Tag.Length + 12 + 4 + Encoding.UTF8.GetByteCount(e.SchemaVersion) + 4 + e.Payload.Length;
        foreach (var s in leading) size += 4 + Encoding.UTF8.GetByteCount(s);

        var bytes = new byte[size];
        var span = bytes.AsSpan();
        Tag.CopyTo(span);
        var at = Tag.Length;
        foreach (var s in leading) at = Text(span, at, s);
        BinaryPrimitives.WriteInt64BigEndian(span[at..], e.SentAt?.Seconds ?? 0);
        BinaryPrimitives.WriteInt32BigEndian(span[(at + 8)..], e.SentAt?.Nanos ?? 0);
        at += 12;
        at = Text(span, at, e.SchemaVersion);
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)e.Payload.Length);
        e.Payload.Span.CopyTo(span[(at + 4)..]);
        return bytes;
    }

    private static int Text(Span<byte> span, int at, string s)
    {
        var n = Encoding.UTF8.GetBytes(s, span[(at + 4)..]);
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)n);
        return at + 4 + n;
    }
}
