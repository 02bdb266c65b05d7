using Gateway.Idempotency;
using Microsoft.Extensions.Options;

namespace Gateway.Node.Idempotency;

/// <summary>Redis when configured; otherwise the in-memory fast path, announced loudly. PostgreSQL holds every key either way.</summary>
public static class IdempotencyCacheFactory
{
    /// <summary>Base64 of the 32-byte secret that hashes Redis key names and encrypts cached responses.</summary>
    public const string ResponseKeySetting = "Redis:ResponseKey";

    public static IIdempotencyCache Create(IConfiguration config, IServiceProvider services)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Idempotency");
        var endpoint = config["Redis:Configuration"];
        var province = services.GetRequiredService<IOptions<NodeOptions>>().Value.Province;
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            logger.LogWarning("Redis:Configuration is empty: idempotency keys use the IN-MEMORY fast path of this process. " +
                              "PostgreSQL still holds every key, so retries stay safe; only the fast path is lost on restart.");
            return new InMemoryIdempotencyCache();
        }
        var options = new RedisIdempotencyCacheOptions
        {
            Endpoint = endpoint,
            KeyPrefix = RedisIdempotencyCacheOptions.KeyPrefixFor(province),
            ResponseKey = ReadResponseKey(config, logger),
        };
        // Connecting must not block start-up forever: the cache degrades to misses while Redis is away.
        return RedisIdempotencyCache.ConnectAsync(options, logger).GetAwaiter().GetResult();
    }

    /// <summary>The configured secret; a random one when absent (the cache is only a fast path, so losing it on restart is fine).</summary>
    public static byte[] ReadResponseKey(IConfiguration config, ILogger logger)
    {
        var configured = config[ResponseKeySetting];
        if (string.IsNullOrWhiteSpace(configured))
        {
            logger.LogInformation("{Setting} is not set: Redis responses are encrypted with a random key made at start; " +
                                  "what this process cached is unreadable after a restart and PostgreSQL answers instead.", ResponseKeySetting);
            return ResponseCipher.NewSecret();
        }
        byte[] secret;
        try
        {
            secret = Convert.FromBase64String(configured.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{ResponseKeySetting} must be base64 of {ResponseCipher.SecretLength} bytes.");
        }
        // A wrong-sized secret is a configuration mistake: refuse to start rather than weaken or silently replace it.
        if (secret.Length != ResponseCipher.SecretLength)
            throw new InvalidOperationException($"{ResponseKeySetting} must be base64 of {ResponseCipher.SecretLength} bytes, not {secret.Length}.");
        return secret;
    }
}
