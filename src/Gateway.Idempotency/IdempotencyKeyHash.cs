using System.Security.Cryptography;
using System.Text;

namespace Gateway.Idempotency;

/// <summary>
/// What logs and error details show instead of an idempotency key. Province systems may build keys from an identity
/// number or a name, so the key itself never leaves the request and PostgreSQL. The hash is plain SHA-256 so that the
/// caller, who knows its key, can compute it and match an error or a log line to its call.
/// </summary>
public static class IdempotencyKeyHash
{
    /// <summary>Hex characters of the hash that log lines print: enough to tell calls apart, too few to look a key up.</summary>
    public const int LogLength = 12;

    /// <summary>Lower-case hex SHA-256 of the key's UTF-8 bytes (64 characters).</summary>
    public static string Of(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The first <see cref="LogLength"/> characters of <see cref="Of"/>, for log lines.</summary>
    public static string ForLog(string key) => Of(key)[..LogLength];
}
