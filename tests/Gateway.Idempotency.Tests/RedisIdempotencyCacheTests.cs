using System.Text;
using StackExchange.Redis;

namespace Gateway.Idempotency.Tests;

[Collection(RedisCollection.Name)]
public sealed class RedisIdempotencyCacheTests(RedisFixture fixture) : IAsyncLifetime
{
    // The node's clock, deliberately far from the redis-server's: only the caller's clock may decide expiry.
    private static readonly DateTimeOffset Now = new(2040, 3, 2, 8, 0, 0, TimeSpan.Zero);
    private RedisIdempotencyCache _cache = null!;
    private readonly string _prefix = $"gw:t{Guid.NewGuid():N}:idem:";

    public async Task InitializeAsync() => _cache = await ConnectAsync(_prefix, ResponseCipher.NewSecret());

    public async Task DisposeAsync() => await _cache.DisposeAsync();

    // Shared CI machines stall for hundreds of milliseconds; the default 500 ms budget would turn that into misses.
    private Task<RedisIdempotencyCache> ConnectAsync(string prefix, byte[] responseKey) =>
        RedisIdempotencyCache.ConnectAsync(new RedisIdempotencyCacheOptions
        {
            Endpoint = fixture.Server.Endpoint,
            KeyPrefix = prefix,
            ResponseKey = responseKey,
            OperationTimeout = TimeSpan.FromSeconds(5),
        });

    private IDatabase Redis => fixture.Client.GetDatabase();

    private static CachedResponse Response(byte marker, DateTimeOffset expiresAt) =>
        new("/gateway.transfer.v1.TransferService/SubmitApplication", RequestHash.Compute("m", [marker]), [marker, 0, 42], expiresAt);

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

    private async Task<TimeSpan> PttlAsync(string redisKey) =>
        TimeSpan.FromMilliseconds((long)await Redis.ExecuteAsync("PTTL", redisKey));

    [Fact]
    public async Task Set_nx_with_expiry_refuses_a_second_reservation_until_the_ttl_passes()
    {
        var key = Guid.NewGuid().ToString("N");

        var first = await _cache.TryReserveAsync(key, TimeSpan.FromMilliseconds(400));
        var second = await _cache.TryReserveAsync(key, TimeSpan.FromMilliseconds(400));
        var ttl = await Redis.KeyTimeToLiveAsync(_cache.ReservationKey(key));

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
    public async Task Stored_response_round_trips_under_a_hashed_key_name()
    {
        var key = Guid.NewGuid().ToString("N");
        var stored = Response(7, Now + TimeSpan.FromMinutes(5));

        await _cache.SetAsync(key, stored, Now);
        var found = await _cache.GetAsync(key, Now);

        Assert.NotNull(found);
        Assert.Equal(stored.Method, found.Method);
        Assert.Equal(stored.RequestHash, found.RequestHash);
        Assert.Equal(stored.Response, found.Response);
        Assert.Equal(stored.ExpiresAt, found.ExpiresAt);
        Assert.False(await Redis.KeyExistsAsync(_prefix + key));
        Assert.Matches($"^{_prefix}[0-9a-f]{{64}}$", _cache.ResponseKey(key));
        Assert.True(await Redis.KeyExistsAsync(_cache.ResponseKey(key)));
        Assert.Null(await _cache.GetAsync(Guid.NewGuid().ToString("N"), Now));
    }

    [Fact]
    public async Task Response_is_absent_once_the_callers_clock_passes_its_record_expiry_though_redis_still_holds_it()
    {
        var key = Guid.NewGuid().ToString("N");
        var expiresAt = Now + TimeSpan.FromHours(1);
        await _cache.SetAsync(key, Response(1, expiresAt), Now);

        var justBefore = await _cache.GetAsync(key, expiresAt - TimeSpan.FromMilliseconds(1));
        var atExpiry = await _cache.GetAsync(key, expiresAt);
        var after = await _cache.GetAsync(key, expiresAt + TimeSpan.FromMinutes(1));

        Assert.NotNull(justBefore);
        Assert.Null(atExpiry);
        Assert.Null(after);
        Assert.True(await Redis.KeyExistsAsync(_cache.ResponseKey(key)), "redis-server's clock has not reached the expiry; only the caller's has");
    }

    [Fact]
    public async Task Ttl_given_to_redis_is_what_is_left_of_the_records_life_not_a_fresh_window()
    {
        var key = Guid.NewGuid().ToString("N");
        var expiresAt = Now + TimeSpan.FromHours(24);

        await _cache.SetAsync(key, Response(1, expiresAt), Now);
        var whenStored = await PttlAsync(_cache.ResponseKey(key));
        // A replay 20 hours later re-arms the cache: only 4 hours of the record are left.
        await _cache.SetAsync(key, Response(1, expiresAt), Now + TimeSpan.FromHours(20));
        var whenReplayed = await PttlAsync(_cache.ResponseKey(key));

        Assert.InRange(whenStored, TimeSpan.FromHours(24) - TimeSpan.FromSeconds(30), TimeSpan.FromHours(24));
        Assert.InRange(whenReplayed, TimeSpan.FromHours(4) - TimeSpan.FromSeconds(30), TimeSpan.FromHours(4));
    }

    [Fact]
    public async Task Response_whose_record_already_expired_is_not_written()
    {
        var key = Guid.NewGuid().ToString("N");

        await _cache.SetAsync(key, Response(1, Now), Now);
        await _cache.SetAsync(key, Response(1, Now), Now + TimeSpan.FromSeconds(1));

        Assert.False(await Redis.KeyExistsAsync(_cache.ResponseKey(key)));
    }

    [Fact]
    public async Task Redis_holds_neither_the_plain_key_nor_the_identity_number_or_name_in_the_response()
    {
        const string identityNumber = "150102198803154417";
        const string name = "王建华";
        var key = $"issue-{identityNumber}-{Guid.NewGuid():N}";
        var response = Encoding.UTF8.GetBytes($"{{\"psn_name\":\"{name}\",\"certno\":\"{identityNumber}\"}}");
        await _cache.SetAsync(key, new CachedResponse("/gateway.transfer.v1.TransferService/IssueCertificate", RequestHash.Compute("m", response), response,
            Now + TimeSpan.FromHours(1)), Now);
        await _cache.TryReserveAsync(key, TimeSpan.FromMinutes(1));

        var server = fixture.Client.GetServer(fixture.Client.GetEndPoints()[0]);
        var names = new List<string>();
        await foreach (var redisKey in server.KeysAsync(pattern: _prefix + "*"))
        {
            names.Add(redisKey.ToString());
        }

        Assert.Equal(2, names.Count);
        Assert.Equal((await _cache.GetAsync(key, Now))!.Response, response);
        foreach (var redisKey in names)
        {
            Assert.DoesNotContain(identityNumber, redisKey);
            var value = (byte[])(await Redis.StringGetAsync(redisKey))!;
            foreach (var secret in new[] { key, identityNumber, name })
            {
                Assert.False(value.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) >= 0, $"{redisKey} holds '{secret}' in plain bytes");
            }
        }
    }

    [Fact]
    public async Task Value_sealed_for_one_key_does_not_open_under_another()
    {
        var first = Guid.NewGuid().ToString("N");
        var second = Guid.NewGuid().ToString("N");
        await _cache.SetAsync(first, Response(5, Now + TimeSpan.FromHours(1)), Now);

        var sealedValue = await Redis.StringGetAsync(_cache.ResponseKey(first));
        await Redis.StringSetAsync(_cache.ResponseKey(second), sealedValue);

        Assert.NotNull(await _cache.GetAsync(first, Now));
        Assert.Null(await _cache.GetAsync(second, Now));
    }

    [Fact]
    public async Task Cache_started_with_another_response_key_reads_a_miss()
    {
        var key = Guid.NewGuid().ToString("N");
        await _cache.SetAsync(key, Response(5, Now + TimeSpan.FromHours(1)), Now);
        await using var restarted = await ConnectAsync(_prefix, ResponseCipher.NewSecret());

        Assert.Null(await restarted.GetAsync(key, Now));
    }

    [Fact]
    public async Task Stored_response_expires_after_its_ttl()
    {
        var key = Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        await _cache.SetAsync(key, Response(1, now + TimeSpan.FromMilliseconds(300)), now);
        Assert.NotNull(await _cache.GetAsync(key, now));

        var later = await EventuallyAsync(() => Redis.KeyExistsAsync(_cache.ResponseKey(key)), exists => !exists, TimeSpan.FromSeconds(5));

        Assert.False(later);
        Assert.Null(await _cache.GetAsync(key, now));
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
        await _cache.SetAsync(key, Response(3, Now + TimeSpan.FromMinutes(1)), Now);

        Assert.Null(await other.GetAsync(key, Now));
        Assert.True(await other.TryReserveAsync(key, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Unreadable_value_under_a_key_is_treated_as_a_miss()
    {
        var key = Guid.NewGuid().ToString("N");
        await Redis.StringSetAsync(_cache.ResponseKey(key), "not a cached response");

        Assert.Null(await _cache.GetAsync(key, Now));
    }
}
