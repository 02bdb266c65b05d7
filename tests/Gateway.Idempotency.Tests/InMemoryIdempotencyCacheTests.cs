namespace Gateway.Idempotency.Tests;

public sealed class InMemoryIdempotencyCacheTests
{
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero));

    private static CachedResponse Response(byte b) => new("m", [b], [b]);

    [Fact]
    public async Task Stored_response_is_returned_until_its_ttl_passes()
    {
        var cache = new InMemoryIdempotencyCache(time: _clock);
        await cache.SetAsync("k", Response(1), TimeSpan.FromMinutes(10));

        _clock.Now += TimeSpan.FromMinutes(9);
        var before = await cache.GetAsync("k");
        _clock.Now += TimeSpan.FromMinutes(1);
        var after = await cache.GetAsync("k");

        Assert.Equal([1], before!.Response);
        Assert.Null(after);
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
            await cache.SetAsync($"k{i}", Response((byte)i), TimeSpan.FromMinutes(10 + i));
        }

        Assert.InRange(cache.Count, 1, 10);
        Assert.NotNull(await cache.GetAsync("k24"));
        Assert.Null(await cache.GetAsync("k0"));
    }
}
