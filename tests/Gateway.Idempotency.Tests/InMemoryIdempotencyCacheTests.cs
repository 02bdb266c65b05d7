namespace Gateway.Idempotency.Tests;

public sealed class InMemoryIdempotencyCacheTests
{
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
    private readonly ManualClock _clock = new(T0);

    private static CachedResponse Response(byte b, DateTimeOffset expiresAt) => new("m", [b], [b], expiresAt);

    [Fact]
    public async Task Stored_response_is_returned_until_its_record_expires_by_the_callers_clock()
    {
        var cache = new InMemoryIdempotencyCache(time: _clock);
        await cache.SetAsync("k", Response(1, T0 + TimeSpan.FromMinutes(10)), T0);

        var before = await cache.GetAsync("k", T0 + TimeSpan.FromMinutes(9));
        var after = await cache.GetAsync("k", T0 + TimeSpan.FromMinutes(10));

        Assert.Equal([1], before!.Response);
        Assert.Null(after);
    }

    [Fact]
    public async Task Response_whose_record_already_expired_is_not_cached()
    {
        var cache = new InMemoryIdempotencyCache(time: _clock);

        await cache.SetAsync("k", Response(1, T0), T0);

        Assert.Equal(0, cache.Count);
        Assert.Null(await cache.GetAsync("k", T0 - TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Reservation_is_refused_while_held_and_free_after_expiry_or_release()
    {
        var cache = new InMemoryIdempotencyCache(time: _clock);

        Assert.True(await cache.TryReserveAsync("k", TimeSpan.FromSeconds(30)));
        Assert.False(await cache.TryReserveAsync("k", TimeSpan.FromSeconds(30)));
        _clock.Now += TimeSpan.FromSeconds(30);
        Assert.True(await cache.TryReserveAsync("k", TimeSpan.FromSeconds(30)));
        await cache.ReleaseAsync("k");
        Assert.True(await cache.TryReserveAsync("k", TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Cache_stays_within_capacity_dropping_the_entries_that_expire_soonest()
    {
        var cache = new InMemoryIdempotencyCache(capacity: 10, time: _clock);
        for (var i = 0; i < 25; i++)
        {
            // Later keys live longer, so the earliest ones are the ones to go.
            await cache.SetAsync($"k{i}", Response((byte)i, T0 + TimeSpan.FromMinutes(10 + i)), T0);
        }

        Assert.InRange(cache.Count, 1, 10);
        Assert.NotNull(await cache.GetAsync("k24", T0));
        Assert.Null(await cache.GetAsync("k0", T0));
    }
}
