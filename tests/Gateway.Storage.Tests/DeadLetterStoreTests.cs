namespace Gateway.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class DeadLetterStoreTests(PostgresFixture fixture) : DatabaseTest(fixture, "dead")
{
    [Fact]
    public async Task The_same_poison_record_seen_again_updates_its_row_with_the_last_error()
    {
        var letter = new DeadLetter(null, "gw.15.inbox", 2, 41, "T-9", [0xFF], "envelope does not parse");

        var id1 = await Db.InTransactionAsync((c, t, ct) => DeadLetterStore.AddAsync(c, t, letter, T0, ct));
        var id2 = await Db.InTransactionAsync((c, t, ct) => DeadLetterStore.AddAsync(c, t, letter with { Reason = "still broken" }, T0 + TimeSpan.FromMinutes(3), ct));

        Assert.Equal(id1, id2);
        var row = (await Db.WithConnectionAsync((c, ct) => DeadLetterStore.GetAsync(c, null, id1, ct)))!;
        Assert.Equal("still broken", row.Reason);
        Assert.Equal(T0, row.FirstSeenAt);
        Assert.Equal(T0 + TimeSpan.FromMinutes(3), row.LastSeenAt);
        Assert.Equal(41, row.Offset);
    }

    [Fact]
    public async Task Never_rerun_flag_hides_the_record_from_reruns_and_refuses_them()
    {
        var keep = await Db.InTransactionAsync((c, t, ct) => DeadLetterStore.AddAsync(c, t, new DeadLetter("m-1", "gw.15.inbox", 0, 1, null, null, "bad signature"), T0, ct));
        var skip = await Db.InTransactionAsync((c, t, ct) => DeadLetterStore.AddAsync(c, t, new DeadLetter("m-2", "gw.15.inbox", 0, 2, null, null, "unknown type"), T0, ct));

        Assert.True(await Db.InTransactionAsync((c, t, ct) => DeadLetterStore.SetNeverRerunAsync(c, t, skip, true, "operator", T0, ct)));
        var rerunnable = await Db.WithConnectionAsync((c, ct) => DeadLetterStore.ListAsync(c, null, rerunnableOnly: true, ct: ct));
        var refused = await Db.InTransactionAsync((c, t, ct) => DeadLetterStore.MarkRerunAsync(c, t, skip, "operator", T0, ct));
        var counted = await Db.InTransactionAsync((c, t, ct) => DeadLetterStore.MarkRerunAsync(c, t, keep, "operator", T0, ct));

        Assert.Equal([keep], rerunnable.Select(r => r.Id));
        Assert.False(refused);
        Assert.True(counted);
        Assert.Equal(1, (await Db.WithConnectionAsync((c, ct) => DeadLetterStore.GetAsync(c, null, keep, ct)))!.RerunCount);
        Assert.Equal(2, (await Db.WithConnectionAsync((c, ct) => DeadLetterStore.ListAsync(c, null, ct: ct))).Count);
    }
}
