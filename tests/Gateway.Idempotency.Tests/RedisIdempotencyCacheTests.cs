using StackExchange.Redis;

namespace Gateway.Idempotency.Tests;

[Collection(RedisCollection.Name)]
public sealed class RedisIdempotencyCacheTests(RedisFixture fixture) : IAsyncLifetime
{
    private RedisIdempotencyCache _cache = null!;
    private readonly string _prefix = $"gw:t{Guid.NewGuid():N}:idem:";

    public async Task InitializeAsync() =>
        // Shared CI machines stall for hundreds of milliseconds; the default 500 ms budget would turn that into misses.
        _cache = await RedisIdempotencyCache.ConnectAsync(new RedisIdempotencyCacheOptions { Endpoint = fixture.Server.Endpoint, KeyPrefix = _prefix, OperationTimeout = TimeSpan.FromSeconds(5) });

    public async Task DisposeAsync() => await _cache.DisposeAsync();

    private static CachedResponse Response(byte marker) =>
        new("/gateway.transfer.v1.TransferService/SubmitApplication", RequestHash.Compute("m", [marker]), [marker, 0, 42]);

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var value = await probe();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Set_nx_with_expiry_refuses_a_second_reservation_until_the_ttl_passes()
    {
        var key = Guid.NewGuid().ToString("N");

        var first = await _cache.TryReserveAsync(key, TimeSpan.FromMilliseconds(400));
        var second = await _cache.TryReserveAsync(key, TimeSpan.FromMilliseconds(400));
        var ttl = await fixture.Client.GetDatabase().KeyTimeToLiveAsync(_cache.ReservationKey(key));

        Assert.True(first);
        Assert.False(second);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(400));
        var afterTtl = await EventuallyAsync(() => _cache.TryReserveAsync(key, TimeSpan.FromSeconds(5)), r => r, TimeSpan.FromSeconds(5));
        Assert.True(afterTtl);
    }

    [Fact]
    public async Task Released_reservation_can_be_taken_again_at_once()
    {
        var key = Guid.NewGuid().ToString("N");
        Assert.True(await _cache.TryReserveAsync(key, TimeSpan.FromMinutes(1)));

        await _cache.ReleaseAsync(key);

        Assert.True(await _cache.TryReserveAsync(key, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Stored_response_round_trips_under_the_configured_prefix()
    {
        var key = Guid.NewGuid().ToString("N");
        var stored = Response(7);

        await _cache.SetAsync(key, stored, TimeSpan.FromMinutes(5));
        var found = await _cache.GetAsync(key);

        Assert.NotNull(found);
        Assert.Equal(stored.Method, found.Method);
        Assert.Equal(stored.RequestHash, found.RequestHash);
        Assert.Equal(stored.Response, found.Response);
        Assert.True(await fixture.Client.GetDatabase().KeyExistsAsync(_prefix + key));
        Assert.Null(await _cache.GetAsync(Guid.NewGuid().ToString("N")));
    }

    [Fact]
    public async Task Stored_response_expires_after_its_ttl()
    {
        var key = Guid.NewGuid().ToString("N");
        await _cache.SetAsync(key, Response(1), TimeSpan.FromMilliseconds(300));
        Assert.NotNull(await _cache.GetAsync(key));

        var later = await EventuallyAsync(() => _cache.GetAsync(key), r => r is null, TimeSpan.FromSeconds(5));

        Assert.Null(later);
    }

    [Fact]
    public async Task Provinces_with_different_prefixes_do_not_see_each_others_keys()
    {
        await using var other = await RedisIdempotencyCache.ConnectAsync(new RedisIdempotencyCacheOptions
        {
            Endpoint = fixture.Server.Endpoint,
            KeyPrefix = RedisIdempotencyCacheOptions.KeyPrefixFor("15") + Guid.NewGuid().ToString("N"),
        });
        var key = Guid.NewGuid().ToString("N");
        await _cache.SetAsync(key, Response(3), TimeSpan.FromMinutes(1));

        Assert.Null(await other.GetAsync(key));
        Assert.True(await other.TryReserveAsync(key, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Unreadable_value_under_a_key_is_treated_as_a_miss()
    {
        var key = Guid.NewGuid().ToString("N");
        await fixture.Client.GetDatabase().StringSetAsync(_prefix + key, "not a cached response");

        Assert.Null(await _cache.GetAsync(key));
    }
}
