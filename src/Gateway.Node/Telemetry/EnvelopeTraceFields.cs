using System.Text;

namespace Gateway.Node.Telemetry;

/// <summary>
/// Reads <c>traceparent</c> (12) and <c>tracestate</c> (13) straight from a serialized envelope, skipping every other
/// field without copying it: the relay publishes the stored bytes and should not parse whole envelopes (payload
/// included) to start a span. Malformed bytes give nulls; the relay publishes them regardless.
/// </summary>
public static class EnvelopeTraceFields
{
    private const int TraceParentField = 12;
    private const int TraceStateField = 13;

    public static (string? TraceParent, string? TraceState) Read(ReadOnlySpan<byte> bytes)
    {
        string? parent = null, state = null;
        var at = 0;
        while (at < bytes.Length)
        {
            if (!Varint(bytes, ref at, out var tag)) break;
            var field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    if (!Varint(bytes, ref at, out _)) return (parent, state);
                    break;
                case 1:
                    at += 8;
                    break;
                case 5:
                    at += 4;
                    break;
                case 2:
                    if (!Varint(bytes, ref at, out var length) || length > (ulong)(bytes.Length - at)) return (parent, state);
                    var value = bytes.Slice(at, (int)length);
                    if (field == TraceParentField && length <= 128) parent = Encoding.UTF8.GetString(value);
                    else if (field == TraceStateField && length <= 512) state = Encoding.UTF8.GetString(value);
                    at += (int)length;
                    break;
                default:
                    return (parent, state);
            }
        }
        return (parent, state);
    }

    private static bool Varint(ReadOnlySpan<byte> bytes, ref int at, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && at < bytes.Length; shift += 7)
        {
            var b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return true;
        }
        return false;
    }
}
