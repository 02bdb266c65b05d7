using System.Diagnostics;

namespace Gateway.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class IdempotencyRecordStoreTests(PostgresFixture fixture) : DatabaseTest(fixture, "idem")
{
    private static IdempotencyRecord Record(string key, DateTimeOffset created, byte response = 1) =>
        new(key, "/gateway.transfer.v1.TransferService/SubmitApplication", [0xAA, 0xBB], [response], created, created + TimeSpan.FromHours(24));

    [Fact]
    public async Task Stored_response_is_found_until_the_key_expires()
    {
        var key = NewId("key");
        Assert.True(await Db.InTransactionAsync((c, t, ct) => IdempotencyRecordStore.InsertAsync(c, t, Record(key, T0), ct)));

        var live = await Db.WithConnectionAsync((c, ct) => IdempotencyRecordStore.FindAsync(c, null, key, T0 + TimeSpan.FromHours(23), ct));
        var expired = await Db.WithConnectionAsync((c, ct) => IdempotencyRecordStore.FindAsync(c, null, key, T0 + TimeSpan.FromHours(24), ct));

        Assert.NotNull(live);
        Assert.Equal([0xAA, 0xBB], live.RequestHash);
        Assert.Equal([1], live.Response);
        Assert.Equal(T0 + TimeSpan.FromHours(24), live.ExpiresAt);
        Assert.Null(expired);
    }

    [Fact]
    public async Task A_live_key_is_not_overwritten_but_an_expired_one_is_replaced()
    {
        var key = NewId("key");
        await Db.InTransactionAsync((c, t, ct) => IdempotencyRecordStore.InsertAsync(c, t, Record(key, T0, response: 1), ct));

        var overLive = await Db.InTransactionAsync((c, t, ct) => IdempotencyRecordStore.InsertAsync(c, t, Record(key, T0 + TimeSpan.FromHours(1), response: 2), ct));
        var overExpired = await Db.InTransactionAsync((c, t, ct) => IdempotencyRecordStore.InsertAsync(c, t, Record(key, T0 + TimeSpan.FromHours(25), response: 3), ct));

        Assert.False(overLive);
        Assert.True(overExpired);
        var found = await Db.WithConnectionAsync((c, ct) => IdempotencyRecordStore.FindAsync(c, null, key, T0 + TimeSpan.FromHours(26), ct));
        Assert.Equal([3], found!.Response);
    }

    [Fact]
    public async Task Purge_deletes_only_expired_keys()
    {
        var old = NewId("old");
        var fresh = NewId("fresh");
        await Db.InTransactionAsync(async (c, t, ct) =>
        {
            await IdempotencyRecordStore.InsertAsync(c, t, Record(old, T0 - TimeSpan.FromDays(2)), ct);
            await IdempotencyRecordStore.InsertAsync(c, t, Record(fresh, T0), ct);
        });

        var purged = await Db.WithConnectionAsync((c, ct) => IdempotencyRecordStore.PurgeExpiredAsync(c, null, T0, ct: ct));

        Assert.Equal(1, purged);
        Assert.NotNull(await Db.WithConnectionAsync((c, ct) => IdempotencyRecordStore.FindAsync(c, null, fresh, T0, ct)));
    }

    [Fact]
    public async Task Calls_with_the_same_key_serialize_on_the_key_lock_and_other_keys_do_not_wait()
    {
        var key = NewId("key");
        await using var connA = await Db.DataSource.OpenConnectionAsync();
        await using var txA = await connA.BeginTransactionAsync();
        await IdempotencyRecordStore.LockKeyAsync(connA, txA, key);

        var other = Stopwatch.StartNew();
        await Db.InTransactionAsync((c, t, ct) => IdempotencyRecordStore.LockKeyAsync(c, t, NewId("other"), ct));
        other.Stop();

        var sameKey = Db.InTransactionAsync(async (c, t, ct) =>
        {
            await IdempotencyRecordStore.LockKeyAsync(c, t, key, ct);
            // Sees what the first holder committed.
            return await IdempotencyRecordStore.FindAsync(c, t, key, T0, ct);
        });
        await Task.Delay(300);
        Assert.False(sameKey.IsCompleted, "second call with the same key must wait for the first");

        await IdempotencyRecordStore.InsertAsync(connA, txA, Record(key, T0));
        await txA.CommitAsync();

        var seen = await sameKey.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(seen);
        Assert.True(other.Elapsed < TimeSpan.FromSeconds(5));
    }
}
