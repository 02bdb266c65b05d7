using System.Buffers.Binary;
using System.Text;
using Gateway.Contracts.Exchange.V1;
using Org.BouncyCastle.Crypto.Digests;

namespace Gateway.Messaging.Signing;

/// <summary>The fields of one message log entry that its hash covers (docs/security.md, "Message log").</summary>
public sealed record MessageLogFields(long Seq, string Kind, string? MessageId, string? MessageType, string? Sender, string? Receiver,
    string? CorrelationId, byte[] Digest, DateTimeOffset At);

/// <summary>
/// The byte formats of the tamper-evident message log, shared by the node's sealer and the independent verifier
/// (<c>gateway-ops verify-log</c>): the digest of an envelope, the canonical bytes of an entry, the chain hash, and the
/// bytes a signed chain head covers. Strings are 4-byte big-endian byte length + UTF-8 (absent = length 0), times are
/// 8-byte big-endian microseconds since 1970-01-01T00:00:00Z (PostgreSQL's precision), all hashes SM3.
/// </summary>
public static class MessageLogFormat
{
    public const int HashLength = 32;

    public static ReadOnlySpan<byte> EntryTag => "GW-MSGLOG-ENTRY/1"u8;

    public static ReadOnlySpan<byte> HeadTag => "GW-MSGLOG-HEAD/1"u8;

    /// <summary>The previous hash of entry 1.</summary>
    public static byte[] Genesis => new byte[HashLength];

    public static byte[] Sm3(ReadOnlySpan<byte> data)
    {
        var digest = new SM3Digest();
        digest.BlockUpdate(data);
        var result = new byte[HashLength];
        digest.DoFinal(result, 0);
        return result;
    }

    /// <summary>
    /// SM3 of the envelope's signed canonical form followed by its signature value (4-byte length + bytes): the same at
    /// sender and receiver, whatever the attempt number or the protobuf serialisation, and it names the signature.
    /// </summary>
    public static byte[] EnvelopeDigest(Envelope envelope)
    {
        var canonical = EnvelopeCanonicalForm.Of(envelope);
        var signature = envelope.Signature is { } sig ? sig.Value.Span : default;
        var bytes = new byte[canonical.Length + 4 + signature.Length];
        canonical.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(canonical.Length), (uint)signature.Length);
        signature.CopyTo(bytes.AsSpan(canonical.Length + 4));
        return Sm3(bytes);
    }

    /// <summary>SM3 of a record that could not be read as an envelope: its raw bytes (empty when it had none).</summary>
    public static byte[] RecordDigest(ReadOnlySpan<byte> raw) => Sm3(raw);

    public static long Micros(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    /// <summary>Tag, seq, kind, message id, type, sender, receiver, correlation, digest (length + bytes), at.</summary>
    public static byte[] EntryBytes(MessageLogFields e)
    {
        using var buffer = new MemoryStream(256);
        buffer.Write(EntryTag);
        Int64(buffer, e.Seq);
        foreach (var s in (string?[])[e.Kind, e.MessageId, e.MessageType, e.Sender, e.Receiver, e.CorrelationId]) Text(buffer, s);
        Bytes(buffer, e.Digest);
        Int64(buffer, Micros(e.At));
        return buffer.ToArray();
    }

    /// <summary>hash = SM3(previous hash ‖ canonical entry bytes).</summary>
    public static byte[] ChainHash(ReadOnlySpan<byte> previous, MessageLogFields entry)
    {
        var bytes = EntryBytes(entry);
        var digest = new SM3Digest();
        digest.BlockUpdate(previous);
        digest.BlockUpdate(bytes);
        var result = new byte[HashLength];
        digest.DoFinal(result, 0);
        return result;
    }

    /// <summary>What a head's signature covers: tag, province, seq, hash (length + bytes), signed at, algorithm, key id.</summary>
    public static byte[] HeadBytes(string province, long seq, ReadOnlySpan<byte> hash, DateTimeOffset signedAt, string algorithm, string keyId)
    {
        using var buffer = new MemoryStream(128);
        buffer.Write(HeadTag);
        Text(buffer, province);
        Int64(buffer, seq);
        Bytes(buffer, hash);
        Int64(buffer, Micros(signedAt));
        Text(buffer, algorithm);
        Text(buffer, keyId);
        return buffer.ToArray();
    }

    /// <summary>Signs a head with this node's envelope key.</summary>
    public static byte[] SignHead(NodeSigningKey key, string province, long seq, ReadOnlySpan<byte> hash, DateTimeOffset signedAt) =>
        SignatureAlgorithms.Sign(key.Algorithm, key.PrivateKey, HeadBytes(province, seq, hash, signedAt, key.Algorithm, key.KeyId));

    /// <summary>
    /// Why a head's signature does not hold against the directory (the province's key under that id, of that
    /// algorithm, not revoked, valid when signed), or null when it does.
    /// </summary>
    public static string? HeadProblem(TrustDirectory directory, string province, long seq, ReadOnlySpan<byte> hash, DateTimeOffset signedAt,
        string algorithm, string keyId, byte[] signature)
    {
        var owner = directory.Find(province);
        if (owner is null) return $"the directory does not list province {province}";
        var key = owner.FindKey(keyId);
        if (key is null) return $"province {province} has no key '{keyId}' in the directory";
        if (key.Algorithm != algorithm) return $"the head says {algorithm} but key '{keyId}' is {key.Algorithm}";
        if (key.Revoked) return $"key '{keyId}' is revoked";
        if (!key.ValidAt(signedAt)) return $"key '{keyId}' was not valid at {signedAt:O}";
        return SignatureAlgorithms.Verify(algorithm, key.PublicKey, HeadBytes(province, seq, hash, signedAt, algorithm, keyId), signature)
            ? null
            : $"the signature does not verify with key '{keyId}' of province {province}";
    }

    private static void Int64(Stream s, long v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, v);
        s.Write(b);
    }

    private static void Text(Stream s, string? text) => Bytes(s, Encoding.UTF8.GetBytes(text ?? ""));

    private static void Bytes(Stream s, ReadOnlySpan<byte> bytes)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, (uint)bytes.Length);
        s.Write(b);
        s.Write(bytes);
    }
}
