using System.Security.Cryptography;
using System.Text;

namespace Gateway.Idempotency;

/// <summary>SHA-256 of a call: its method name and the exact request bytes, so a key reused for another request is caught.</summary>
public static class RequestHash
{
    public const int Length = 32;

    public static byte[] Compute(string method, ReadOnlySpan<byte> requestBytes)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Length-prefix the method so that ("ab", "c…") and ("a", "bc…") cannot collide.
        var methodBytes = Encoding.UTF8.GetBytes(method);
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, methodBytes.Length);
        hash.AppendData(length);
        hash.AppendData(methodBytes);
        hash.AppendData(requestBytes);
        return hash.GetHashAndReset();
    }
}
