using System.Security.Cryptography;
using System.Text;

namespace Gateway.Idempotency;

/// <summary>
/// Keeps personal data out of Redis. Key names are HMAC-SHA-256 of the idempotency key (a keyed hash, so a key built
/// from an identity number cannot be found by hashing candidates); values, whose responses carry names and identity
/// numbers, are sealed with AES-256-GCM and bound to their key name, so a value moved to another key does not open.
/// Both subkeys come from one 32-byte secret (<c>Redis:ResponseKey</c>) through HKDF.
/// </summary>
public sealed class ResponseCipher
{
    public const int SecretLength = 32;
    private const int NonceLength = 12;
    private const int TagLength = 16;

    private readonly byte[] _nameKey;
    private readonly byte[] _sealKey;

    public ResponseCipher(ReadOnlySpan<byte> secret)
    {
        if (secret.Length != SecretLength)
            throw new ArgumentException($"The Redis response key must be {SecretLength} bytes.", nameof(secret));
        _nameKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret.ToArray(), 32, info: "gateway-idempotency/key-name"u8.ToArray());
        _sealKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret.ToArray(), 32, info: "gateway-idempotency/response"u8.ToArray());
    }

    /// <summary>A fresh random secret: cached responses then last only as long as this process.</summary>
    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(SecretLength);

    /// <summary>Lower-case hex HMAC-SHA-256 of the idempotency key: the part of a Redis key name that names the key.</summary>
    public string KeyName(string idempotencyKey) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_nameKey, Encoding.UTF8.GetBytes(idempotencyKey)));

    /// <summary>nonce ‖ tag ‖ ciphertext, authenticated together with <paramref name="redisKey"/>.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, string redisKey)
    {
        var sealedValue = new byte[NonceLength + TagLength + plaintext.Length];
        var nonce = sealedValue.AsSpan(0, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        // One AesGcm per call: instances are not documented as safe to share between threads.
        using var aes = new AesGcm(_sealKey, TagLength);
        aes.Encrypt(nonce, plaintext, sealedValue.AsSpan(NonceLength + TagLength), sealedValue.AsSpan(NonceLength, TagLength),
            Encoding.UTF8.GetBytes(redisKey));
        return sealedValue;
    }

    /// <summary>Null when the bytes were not sealed by this secret for this key name (another start's key, tampering, garbage).</summary>
    public byte[]? Open(ReadOnlySpan<byte> sealedValue, string redisKey)
    {
        if (sealedValue.Length < NonceLength + TagLength)
            return null;
        var plaintext = new byte[sealedValue.Length - NonceLength - TagLength];
        try
        {
            using var aes = new AesGcm(_sealKey, TagLength);
            aes.Decrypt(sealedValue[..NonceLength], sealedValue[(NonceLength + TagLength)..], sealedValue.Slice(NonceLength, TagLength),
                plaintext, Encoding.UTF8.GetBytes(redisKey));
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }
}
