using System.Diagnostics;
using Gateway.LocalServers;

namespace Gateway.Idempotency.Tests;

/// <summary>Uses its own server, because it kills it.</summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    private RedisServer _server = null!;

    public async Task InitializeAsync() => _server = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Stopped_redis_degrades_to_quick_misses_and_the_cache_recovers_when_it_returns()
    {
        await using var cache = await RedisIdempotencyCache.ConnectAsync(new RedisIdempotencyCacheOptions
        {
            Endpoint = _server.Endpoint,
            OperationTimeout = TimeSpan.FromMilliseconds(300),
            BreakerBreakDuration = TimeSpan.FromMilliseconds(500),
        });
        var response = new CachedResponse("m", RequestHash.Compute("m", [1]), [9], DateTimeOffset.UtcNow.AddMinutes(5));
        await cache.SetAsync("k", response, DateTimeOffset.UtcNow);
        Assert.NotNull(await cache.GetAsync("k", DateTimeOffset.UtcNow));

        await _server.StopAsync();

        var watch = Stopwatch.StartNew();
        var miss = await cache.GetAsync("k", DateTimeOffset.UtcNow);
        await cache.SetAsync("k2", response, DateTimeOffset.UtcNow);
        var reserved = await cache.TryReserveAsync("k3", TimeSpan.FromMinutes(1));
        for (var i = 0; i < 20; i++)
        {
            Assert.Null(await cache.GetAsync("k", DateTimeOffset.UtcNow));
        }
        watch.Stop();

        Assert.Null(miss);
        Assert.True(reserved, "an unavailable cache must not block the call; the database lock serializes");
        Assert.True(cache.IsDegraded);
        // 23 calls against a dead server: the breaker keeps them far below 23 × timeout.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"degraded calls took {watch.Elapsed}");

        await _server.RestartAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        CachedResponse? found = null;
        while (found is null && DateTime.UtcNow < deadline)
        {
            await cache.SetAsync("k4", response, DateTimeOffset.UtcNow);
            found = await cache.GetAsync("k4", DateTimeOffset.UtcNow);
            if (found is null)
            {
                await Task.Delay(100);
            }
        }
        Assert.NotNull(found);
        Assert.False(cache.IsDegraded);
    }

    [Fact]
    public async Task Cache_created_while_redis_is_down_answers_misses_instead_of_failing()
    {
        var endpoint = _server.Endpoint;
        await _server.StopAsync();

        await using var cache = await RedisIdempotencyCache.ConnectAsync(new RedisIdempotencyCacheOptions
        {
            Endpoint = endpoint,
            OperationTimeout = TimeSpan.FromMilliseconds(300),
        });

        Assert.Null(await cache.GetAsync("anything", DateTimeOffset.UtcNow));
        await cache.SetAsync("anything", new CachedResponse("m", [1], [2], DateTimeOffset.UtcNow.AddSeconds(1)), DateTimeOffset.UtcNow);
    }
}
