using Npgsql;

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
        Assert.True((await Db.InTransactionAsync((c, t, ct) => IdempotencyRecordStore.InsertAsync(c, t, Record(key, T0), ct))).Stored);

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

        Assert.False(overLive.Stored);
        Assert.Equal([1], overLive.Holder!.Response);
        Assert.True(overExpired.Stored);
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

    private const string Method = "/gateway.transfer.v1.TransferService/SubmitApplication";

    private static Task<IdempotencyReservation> ReserveAsync(NpgsqlConnection c, NpgsqlTransaction t, string key, DateTimeOffset now, CancellationToken ct = default) =>
        IdempotencyRecordStore.ReserveAsync(c, t, key, Method, [0xAA, 0xBB], now, now + TimeSpan.FromHours(24), ct);

    [Fact]
    public async Task Reserving_a_key_makes_a_concurrent_call_with_that_key_wait_and_then_see_the_first_response()
    {
        var key = NewId("key");
        await using var connA = await Db.DataSource.OpenConnectionAsync();
        await using var txA = await connA.BeginTransactionAsync();
        Assert.True((await ReserveAsync(connA, txA, key, T0)).Reserved);

        // Another key does not wait for the first transaction.
        var other = await Db.InTransactionAsync((c, t, ct) => ReserveAsync(c, t, NewId("other"), T0, ct)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(other.Reserved);

        var sameKey = Db.InTransactionAsync((c, t, ct) => ReserveAsync(c, t, key, T0 + TimeSpan.FromSeconds(1), ct));
        await Task.Delay(300);
        Assert.False(sameKey.IsCompleted, "second call with the same key must wait for the first");

        await IdempotencyRecordStore.CompleteAsync(connA, txA, key, [7]);
        await txA.CommitAsync();

        var seen = await sameKey.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(seen.Reserved);
        Assert.Equal([7], seen.Holder!.Response);
        Assert.Equal(T0, seen.Holder.CreatedAt);
    }

    [Fact]
    public async Task A_reservation_that_rolls_back_leaves_the_key_free_for_the_waiting_call()
    {
        var key = NewId("key");
        await using var connA = await Db.DataSource.OpenConnectionAsync();
        await using var txA = await connA.BeginTransactionAsync();
        await ReserveAsync(connA, txA, key, T0);

        var sameKey = Db.InTransactionAsync(async (c, t, ct) =>
        {
            var reservation = await ReserveAsync(c, t, key, T0, ct);
            if (reservation.Reserved) await IdempotencyRecordStore.CompleteAsync(c, t, key, [2], ct);
            return reservation;
        });
        await Task.Delay(300);
        await txA.RollbackAsync();

        Assert.True((await sameKey.WaitAsync(TimeSpan.FromSeconds(10))).Reserved);
        var stored = await Db.WithConnectionAsync((c, ct) => IdempotencyRecordStore.FindAsync(c, null, key, T0, ct));
        Assert.Equal([2], stored!.Response);
    }

    [Fact]
    public async Task Reserving_answers_a_committed_live_record_in_one_statement_and_takes_over_an_expired_one()
    {
        var key = NewId("key");
        await Db.InTransactionAsync((c, t, ct) => IdempotencyRecordStore.InsertAsync(c, t, Record(key, T0, response: 1), ct));

        var live = await Db.InTransactionAsync((c, t, ct) => ReserveAsync(c, t, key, T0 + TimeSpan.FromHours(1), ct));
        var expired = await Db.InTransactionAsync(async (c, t, ct) =>
        {
            var reservation = await ReserveAsync(c, t, key, T0 + TimeSpan.FromHours(25), ct);
            await IdempotencyRecordStore.CompleteAsync(c, t, key, [3], ct);
            return reservation;
        });

        Assert.False(live.Reserved);
        Assert.Equal([1], live.Holder!.Response);
        Assert.True(expired.Reserved);
        var found = await Db.WithConnectionAsync((c, ct) => IdempotencyRecordStore.FindAsync(c, null, key, T0 + TimeSpan.FromHours(26), ct));
        Assert.Equal([3], found!.Response);
        Assert.Equal(T0 + TimeSpan.FromHours(25), found.CreatedAt);
    }

    [Fact]
    public async Task A_key_reserved_earlier_in_the_same_transaction_is_answered_by_its_record()
    {
        var key = NewId("key");
        var (first, second) = await Db.InTransactionAsync(async (c, t, ct) =>
        {
            var a = await ReserveAsync(c, t, key, T0, ct);
            await IdempotencyRecordStore.CompleteAsync(c, t, key, [5], ct);
            return (a, await ReserveAsync(c, t, key, T0, ct));
        });

        Assert.True(first.Reserved);
        Assert.False(second.Reserved);
        Assert.Equal([5], second.Holder!.Response);
    }

    [Fact]
    public async Task Expiry_is_judged_by_the_callers_clock_never_by_the_database_clock()
    {
        // One record long expired by the database's now(), one not due by it for years: only the given clock counts.
        var past = new DateTimeOffset(2020, 1, 6, 8, 0, 0, TimeSpan.Zero);
        var future = new DateTimeOffset(2040, 1, 6, 8, 0, 0, TimeSpan.Zero);
        var pastKey = NewId("past");
        var futureKey = NewId("future");
        await Db.InTransactionAsync(async (c, t, ct) =>
        {
            await IdempotencyRecordStore.InsertAsync(c, t, Record(pastKey, past), ct);
            await IdempotencyRecordStore.InsertAsync(c, t, Record(futureKey, future), ct);
        });

        var pastLive = await Db.WithConnectionAsync((c, ct) => IdempotencyRecordStore.FindAsync(c, null, pastKey, past + TimeSpan.FromHours(1), ct));
        var futureGone = await Db.WithConnectionAsync((c, ct) => IdempotencyRecordStore.FindAsync(c, null, futureKey, future + TimeSpan.FromHours(24), ct));

        Assert.NotNull(pastLive);
        Assert.Null(futureGone);
    }

    [Fact]
    public async Task Insert_that_lost_the_race_stores_nothing_and_names_the_record_that_holds_the_key()
    {
        var key = NewId("key");
        await using var loserConn = await Db.DataSource.OpenConnectionAsync();
        await using var loserTx = await loserConn.BeginTransactionAsync();
        Assert.Null(await IdempotencyRecordStore.FindAsync(loserConn, loserTx, key, T0));

        // The winner inserts between the loser's lookup and its insert and commits while the loser waits on the row.
        await using var winnerConn = await Db.DataSource.OpenConnectionAsync();
        await using var winnerTx = await winnerConn.BeginTransactionAsync();
        Assert.True((await IdempotencyRecordStore.InsertAsync(winnerConn, winnerTx, Record(key, T0, response: 1))).Stored);
        var loserInsert = IdempotencyRecordStore.InsertAsync(loserConn, loserTx, Record(key, T0 + TimeSpan.FromSeconds(1), response: 2));
        await Task.Delay(300);
        Assert.False(loserInsert.IsCompleted, "the loser's insert waits for the winner's uncommitted row");
        await winnerTx.CommitAsync();

        var lost = await loserInsert.WaitAsync(TimeSpan.FromSeconds(10));
        await loserTx.CommitAsync();

        Assert.False(lost.Stored);
        Assert.NotNull(lost.Holder);
        Assert.Equal([1], lost.Holder.Response);
        Assert.Equal(T0, lost.Holder.CreatedAt);
        var stored = await Db.WithConnectionAsync((c, ct) => IdempotencyRecordStore.FindAsync(c, null, key, T0 + TimeSpan.FromHours(1), ct));
        Assert.Equal([1], stored!.Response);
    }
}
