namespace Gateway.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class RecordChangeLogTests(PostgresFixture fixture) : DatabaseTest(fixture, "record_changes")
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 1, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_reader_following_the_cursor_sees_every_change_once_in_order_while_writers_commit_slowly_side_by_side()
    {
        const int writers = 6, perWriter = 20;
        var random = new Random(7);
        var delays = Enumerable.Range(0, writers * perWriter).Select(_ => random.Next(0, 6)).ToArray();
        var seen = new List<long>();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var writing = Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                var delay = delays[w * perWriter + i];
                await Db.InTransactionAsync(async (c, t, ct) =>
                {
                    await RecordChangeLog.AppendAsync(c, t, "filing", "15", $"F{w}-{i}", $"person{w}", i + 1, RecordChangeLog.Upsert, [1, 2], Now, ct);
                    await Task.Delay(delay, ct); // a commit that lags behind its seq: the case that would let a reader skip
                    return true;
                });
            }
        })));

        var cursor = 0L;
        while (seen.Count < writers * perWriter && !stop.IsCancellationRequested)
        {
            var page = await Db.WithConnectionAsync((c, ct) => RecordChangeLog.ReadAfterAsync(c, cursor, 7, ct: ct));
            foreach (var change in page)
            {
                seen.Add(change.Seq);
                cursor = change.Seq;
            }
            if (page.Count == 0) await Task.Delay(1);
        }
        await writing;

        Assert.Equal(Enumerable.Range(1, writers * perWriter).Select(i => (long)i), seen);
        Assert.Equal(writers * perWriter, await Db.WithConnectionAsync((c, ct) => RecordChangeLog.HeadAsync(c, ct)));
    }

    [Fact]
    public async Task A_change_appended_in_a_transaction_that_rolls_back_is_never_seen()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => Db.InTransactionAsync<bool>(async (c, t, ct) =>
        {
            await RecordChangeLog.AppendAsync(c, t, "filing", "15", "F1", "p", 1, RecordChangeLog.Upsert, null, Now, ct);
            throw new InvalidOperationException("the change it belonged to failed");
        }));
        await Db.InTransactionAsync((c, t, ct) =>
            RecordChangeLog.AppendAsync(c, t, "enrolment", "51", "E1", "p", 3, RecordChangeLog.Removed, null, Now, ct));

        var all = await Db.WithConnectionAsync((c, ct) => RecordChangeLog.ReadAfterAsync(c, 0, 10, ct: ct));
        var only = Assert.Single(all);
        Assert.Equal(("enrolment", "51", "E1", 3L, RecordChangeLog.Removed), (only.Kind, only.OwnerProvince, only.RecordId, only.Version, only.Change));
        Assert.Empty(await Db.WithConnectionAsync((c, ct) => RecordChangeLog.ReadAfterAsync(c, 0, 10, kind: "filing", ct: ct)));
    }

    [Fact]
    public async Task Many_changes_appended_at_once_keep_their_order_and_follow_earlier_ones()
    {
        await Db.InTransactionAsync((c, t, ct) => RecordChangeLog.AppendAsync(c, t, "filing", "15", "F0", "p0", 1, RecordChangeLog.Upsert, [0], Now, ct));
        var page = Enumerable.Range(1, 50).Select(i => ("15", $"F{i}", $"p{i % 7}", (long)i, RecordChangeLog.Upsert, (byte[]?)[(byte)i])).ToList();
        await Db.InTransactionAsync(async (c, t, ct) => { await RecordChangeLog.AppendManyAsync(c, t, "filing", page, Now, ct); return true; });

        var all = await Db.WithConnectionAsync((c, ct) => RecordChangeLog.ReadAfterAsync(c, 0, 100, ct: ct));
        Assert.Equal(Enumerable.Range(0, 51).Select(i => $"F{i}"), all.Select(a => a.RecordId));
        Assert.Equal(all.Select(a => a.Seq).Order(), all.Select(a => a.Seq));
        Assert.Equal([(byte)50], all[^1].Payload!);
    }

    [Fact]
    public async Task An_open_transaction_that_appended_blocks_no_other_appender_and_its_change_is_sequenced_once_it_commits()
    {
        await using var slowConn = await Db.DataSource.OpenConnectionAsync();
        await using var slow = await slowConn.BeginTransactionAsync();
        await RecordChangeLog.AppendAsync(slowConn, slow, "filing", "15", "slow", "p1", 1, RecordChangeLog.Upsert, null, Now);

        // Another record's change commits while the first transaction is still open: no shared lock to wait on.
        var quick = Db.InTransactionAsync((c, t, ct) => RecordChangeLog.AppendAsync(c, t, "filing", "15", "quick", "p2", 1, RecordChangeLog.Upsert, null, Now, ct));
        Assert.Same(quick, await Task.WhenAny(quick, Task.Delay(TimeSpan.FromSeconds(10))));

        var first = await Db.WithConnectionAsync((c, ct) => RecordChangeLog.ReadAfterAsync(c, 0, 10, ct: ct));
        Assert.Equal(["quick"], first.Select(c => c.RecordId)); // the open one is not visible, so not sequenced

        await slow.CommitAsync();
        var next = await Db.WithConnectionAsync((c, ct) => RecordChangeLog.ReadAfterAsync(c, first[^1].Seq, 10, ct: ct));
        var late = Assert.Single(next);
        Assert.Equal("slow", late.RecordId);
        Assert.True(late.Seq > first[^1].Seq); // seq follows visibility, not insertion: the cursor never skips it
    }
}
