using Gateway.Idempotency;
using Microsoft.Extensions.Options;

namespace Gateway.Node.Idempotency;

/// <summary>Redis when configured; otherwise the in-memory fast path, announced loudly. PostgreSQL holds every key either way.</summary>
public static class IdempotencyCacheFactory
{
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
        var options = new RedisIdempotencyCacheOptions { Endpoint = endpoint, KeyPrefix = RedisIdempotencyCacheOptions.KeyPrefixFor(province) };
        // Connecting must not block start-up forever: the cache degrades to misses while Redis is away.
        return RedisIdempotencyCache.ConnectAsync(options, logger).GetAwaiter().GetResult();
    }
}
