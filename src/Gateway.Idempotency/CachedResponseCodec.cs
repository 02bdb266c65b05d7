using System.Buffers.Binary;
using System.Text;

namespace Gateway.Idempotency;

/// <summary>
/// Compact binary form of a <see cref="CachedResponse"/> for one Redis string value (so SET can carry the expiry
/// atomically). Plaintext: <see cref="RedisIdempotencyCache"/> seals it before it leaves the process.
/// </summary>
public static class CachedResponseCodec
{
    // 2 added the record's expiry; version 1 values read as a miss.
    private const byte Version = 2;

    public static byte[] Encode(CachedResponse value)
    {
        var method = Encoding.UTF8.GetBytes(value.Method);
        var buffer = new byte[1 + 8 + 4 + method.Length + 4 + value.RequestHash.Length + 4 + value.Response.Length];
        var span = buffer.AsSpan();
        span[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(span[1..], value.ExpiresAt.ToUnixTimeMilliseconds());
        var offset = 9;
        offset = WriteBlock(span, offset, method);
        offset = WriteBlock(span, offset, value.RequestHash);
        WriteBlock(span, offset, value.Response);
        return buffer;
    }

    /// <summary>Null for bytes this version cannot read (treated as a miss, the database answers).</summary>
    public static CachedResponse? TryDecode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 9 || data[0] != Version)
        {
            return null;
        }
        var expiresAt = BinaryPrimitives.ReadInt64BigEndian(data[1..]);
        if (expiresAt < DateTimeOffset.MinValue.ToUnixTimeMilliseconds() || expiresAt > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return null;
        }
        var offset = 9;
        if (!TryReadBlock(data, ref offset, out var method)
            || !TryReadBlock(data, ref offset, out var hash)
            || !TryReadBlock(data, ref offset, out var response)
            || offset != data.Length)
        {
            return null;
        }
        return new CachedResponse(Encoding.UTF8.GetString(method), hash.ToArray(), response.ToArray(),
            DateTimeOffset.FromUnixTimeMilliseconds(expiresAt));
    }

    private static int WriteBlock(Span<byte> span, int offset, ReadOnlySpan<byte> block)
    {
        BinaryPrimitives.WriteInt32BigEndian(span[offset..], block.Length);
        block.CopyTo(span[(offset + 4)..]);
        return offset + 4 + block.Length;
    }

    private static bool TryReadBlock(ReadOnlySpan<byte> data, ref int offset, out ReadOnlySpan<byte> block)
    {
        block = default;
        if (data.Length - offset < 4)
        {
            return false;
        }
        var length = BinaryPrimitives.ReadInt32BigEndian(data[offset..]);
        if (length < 0 || data.Length - offset - 4 < length)
        {
            return false;
        }
        block = data.Slice(offset + 4, length);
        offset += 4 + length;
        return true;
    }
}
