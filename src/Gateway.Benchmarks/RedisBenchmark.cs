using StackExchange.Redis;

namespace Gateway.Benchmarks;

/// <summary>
/// The Redis baseline: a SET of a value as large as a certificate response on the cluster's own redis-server,
/// through StackExchange.Redis (what the nodes' idempotency fast path uses), same callers as the node calls.
/// </summary>
public sealed class RedisBenchmark(string endpoint, BenchmarkSettings settings) : IAsyncDisposable
{
    private ConnectionMultiplexer? _redis;

    public async Task<LoadResult> SetAsync(int valueBytes, TimeSpan warmup, CancellationToken ct, TimeSpan? duration = null)
    {
        _redis ??= await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { endpoint }, AbortOnConnectFail = false, ClientName = BenchmarkConnections.ApplicationName });
        var db = _redis.GetDatabase();
        var value = new byte[valueBytes];
        return await LoadRunner.RunAsync("Redis SET round trip (baseline)", settings.Concurrency, warmup, duration ?? settings.Duration,
            async (w, n, _) => await db.StringSetAsync($"gateway-benchmark:{w}:{n % 64}", value, TimeSpan.FromMinutes(5)), ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null) await _redis.DisposeAsync();
    }
}
