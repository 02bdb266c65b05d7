using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using StackExchange.Redis;

namespace Gateway.Idempotency;

/// <summary>
/// Redis fast path: a response under <c>{prefix}{hash}</c> (SET with expiry), a reservation under
/// <c>{prefix}{hash}:lock</c> (SET NX with expiry). Every call goes through a short timeout, a jittered retry and a
/// circuit breaker; when Redis is unavailable it answers a miss and logs a warning, never an exception.
/// </summary>
/// <remarks>
/// No personal data reaches Redis: <c>{hash}</c> is the HMAC-SHA-256 of the idempotency key, and the value (method,
/// request hash, response protobuf with names and identity numbers, expiry) is AES-256-GCM encrypted, see
/// <see cref="ResponseCipher"/>. The expiry (PX) is what is left of the PostgreSQL record's life, never longer.
/// </remarks>
public sealed class RedisIdempotencyCache : IIdempotencyCache, IAsyncDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly bool _ownsConnection;
    private readonly RedisIdempotencyCacheOptions _options;
    private readonly ResiliencePipeline _pipeline;
    private readonly ResponseCipher _cipher;
    private readonly ILogger _logger;
    private int _degraded;

    public RedisIdempotencyCache(IConnectionMultiplexer redis, RedisIdempotencyCacheOptions options, ILogger? logger = null)
        : this(redis, options, logger, ownsConnection: false)
    {
    }

    private RedisIdempotencyCache(IConnectionMultiplexer redis, RedisIdempotencyCacheOptions options, ILogger? logger, bool ownsConnection)
    {
        _redis = redis;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _ownsConnection = ownsConnection;
        _cipher = new ResponseCipher(options.ResponseKey);
        _pipeline = BuildPipeline(options, _logger);
    }

    /// <summary>
    /// Connects without failing when the server is down (the cache then answers misses until it comes back).
    /// Commands fail fast while disconnected instead of queueing behind the reconnect.
    /// </summary>
    public static async Task<RedisIdempotencyCache> ConnectAsync(RedisIdempotencyCacheOptions options, ILogger? logger = null)
    {
        var timeoutMs = (int)Math.Max(100, options.OperationTimeout.TotalMilliseconds);
        var configuration = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            ConnectTimeout = Math.Max(1000, timeoutMs * 2),
            SyncTimeout = timeoutMs,
            AsyncTimeout = timeoutMs,
            BacklogPolicy = BacklogPolicy.FailFast,
            ClientName = "gateway-idempotency",
        };
        configuration.EndPoints.Add(options.Endpoint);
        var redis = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        return new RedisIdempotencyCache(redis, options, logger, ownsConnection: true);
    }

    /// <summary>True while the last Redis call failed and the cache is answering misses.</summary>
    public bool IsDegraded => Volatile.Read(ref _degraded) == 1;

    /// <summary>The Redis key that holds the response to an idempotency key.</summary>
    public string ResponseKey(string key) => _options.KeyPrefix + _cipher.KeyName(key);

    /// <summary>The Redis key that holds the reservation of an idempotency key.</summary>
    public string ReservationKey(string key) => ResponseKey(key) + ":lock";

    public async Task<CachedResponse?> GetAsync(string key, DateTimeOffset now, CancellationToken ct = default)
    {
        var redisKey = ResponseKey(key);
        var value = await GuardAsync("get", async token =>
        {
            var raw = await _redis.GetDatabase().StringGetAsync(redisKey).WaitAsync(token).ConfigureAwait(false);
            var plaintext = raw.IsNull ? null : _cipher.Open((byte[])raw!, redisKey);
            return plaintext is null ? null : CachedResponseCodec.TryDecode(plaintext);
        }, fallback: null, ct).ConfigureAwait(false);
        // Redis expires by its own clock; the record's expiry is judged by the caller's, like the database lookup.
        return value is not null && value.ExpiresAt > now ? value : null;
    }

    public Task SetAsync(string key, CachedResponse value, DateTimeOffset now, CancellationToken ct = default)
    {
        var ttl = RemainingLife(value.ExpiresAt, now);
        if (ttl is null)
        {
            return Task.CompletedTask;
        }
        var redisKey = ResponseKey(key);
        var sealedValue = _cipher.Seal(CachedResponseCodec.Encode(value), redisKey);
        return GuardAsync("set", async token =>
        {
            await _redis.GetDatabase().StringSetAsync(redisKey, sealedValue, ttl, When.Always).WaitAsync(token).ConfigureAwait(false);
            return true;
        }, fallback: false, ct);
    }

    /// <summary>ExpiresAt − now in whole milliseconds, rounded down so Redis never outlives the record; null when nothing is left.</summary>
    public static TimeSpan? RemainingLife(DateTimeOffset expiresAt, DateTimeOffset now)
    {
        var milliseconds = (expiresAt - now).Ticks / TimeSpan.TicksPerMillisecond;
        return milliseconds >= 1 ? TimeSpan.FromMilliseconds(milliseconds) : null;
    }

    public Task<bool> TryReserveAsync(string key, TimeSpan ttl, CancellationToken ct = default) =>
        GuardAsync("reserve", token =>
            _redis.GetDatabase().StringSetAsync(ReservationKey(key), 1, ttl, When.NotExists).WaitAsync(token),
            fallback: true, ct);

    public Task ReleaseAsync(string key, CancellationToken ct = default) =>
        GuardAsync("release", token => _redis.GetDatabase().KeyDeleteAsync(ReservationKey(key)).WaitAsync(token), fallback: false, ct);

    public async ValueTask DisposeAsync()
    {
        if (_ownsConnection)
        {
            await _redis.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<T> GuardAsync<T>(string operation, Func<CancellationToken, Task<T>> call, T fallback, CancellationToken ct)
    {
        try
        {
            var result = await _pipeline.ExecuteAsync(async token => await call(token).ConfigureAwait(false), ct).ConfigureAwait(false);
            if (Interlocked.Exchange(ref _degraded, 0) == 1)
            {
                _logger.LogInformation("Redis idempotency cache is answering again");
            }
            return result;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Warn once per outage; PostgreSQL answers meanwhile.
            if (Interlocked.Exchange(ref _degraded, 1) == 0)
            {
                _logger.LogWarning(ex, "Redis idempotency cache unavailable ({Operation}); falling back to PostgreSQL", operation);
            }
            else
            {
                _logger.LogDebug("Redis idempotency cache still unavailable ({Operation}): {Error}", operation, ex.Message);
            }
            return fallback;
        }
    }

    private static bool IsRedisFailure(Exception e) =>
        e is RedisConnectionException or RedisTimeoutException or RedisServerException or TimeoutRejectedException
            or ObjectDisposedException or System.IO.IOException;

    private static ResiliencePipeline BuildPipeline(RedisIdempotencyCacheOptions options, ILogger logger)
    {
        var builder = new ResiliencePipelineBuilder();
        if (options.Retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsRedisFailure),
                MaxRetryAttempts = options.Retries,
                Delay = options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            });
        }
        return builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsRedisFailure),
                FailureRatio = options.BreakerFailureRatio,
                MinimumThroughput = options.BreakerMinimumThroughput,
                SamplingDuration = options.BreakerSamplingDuration,
                BreakDuration = options.BreakerBreakDuration,
                OnOpened = args =>
                {
                    logger.LogWarning("Redis idempotency circuit opened for {Duration}", args.BreakDuration);
                    return default;
                },
            })
            .AddTimeout(options.OperationTimeout)
            .Build();
    }
}
