namespace Gateway.Storage.Tests;

/// <summary>The stream's reads of work_items: a first pass over everything pending, then claims of what is due.</summary>
[Collection(PostgresCollection.Name)]
public sealed class WorkItemFeedTests(PostgresFixture fixture) : DatabaseTest(fixture, "feed")
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private Task AddAsync(params WorkItem[] items) => Db.InTransactionAsync(async (c, t, ct) =>
    {
        foreach (var item in items) await WorkItemStore.AddAsync(c, t, item, ct);
    });

    private static WorkItem Item(int i) => new($"wi-{i:D5}", "debit_balance", $"T-{i}", [(byte)(i % 256)], T0 + TimeSpan.FromMilliseconds(i));

    private Task<IReadOnlyList<WorkItemFeed.Delivery>> DueAsync(DateTimeOffset now, int max = 100) =>
        WorkItemFeed.DeliverDueAsync(Db.DataSource, now - Timeout, max, now, CancellationToken.None);

    private async Task<List<WorkItemFeed.Delivery>> FirstPassAsync(DateTimeOffset now, int pageSize)
    {
        var all = new List<WorkItemFeed.Delivery>();
        WorkItemFeed.Cursor? cursor = null;
        do
        {
            var page = await WorkItemFeed.DeliverPendingPageAsync(Db.DataSource, cursor, pageSize, now, CancellationToken.None);
            all.AddRange(page.Items);
            cursor = page.Next;
        } while (cursor is not null);
        return all;
    }

    private async Task<DateTimeOffset?> LastDeliveredAtAsync(string itemId)
    {
        await using var cmd = Db.DataSource.CreateCommand("SELECT last_delivered_at FROM work_items WHERE item_id = @id");
        cmd.Parameters.AddWithValue("id", itemId);
        var value = await cmd.ExecuteScalarAsync();
        return value is DateTime dt ? new DateTimeOffset(dt, TimeSpan.Zero) : null;
    }

    [Fact]
    public async Task WorkItem_first_pass_pages_through_every_pending_item_once_oldest_first_whenever_it_was_delivered()
    {
        var items = Enumerable.Range(0, 25).Select(Item).ToArray();
        await AddAsync(items.Reverse().ToArray());
        await DueAsync(T0); // some were delivered just now by another stream: the first pass still sends them
        await Db.InTransactionAsync((c, t, ct) => WorkItemStore.MarkAnsweredAsync(c, t, items[3].ItemId, [1], T0, ct));
        await Db.InTransactionAsync((c, t, ct) => WorkItemStore.MarkCancelledAsync(c, t, items[10].ItemId, T0, ct));

        var pass = await FirstPassAsync(T0 + TimeSpan.FromSeconds(1), pageSize: 4);

        var expected = items.Where((_, i) => i is not 3 and not 10).Select(i => i.ItemId).ToList();
        Assert.Equal(expected, pass.Select(d => d.ItemId));
        Assert.All(pass, d => Assert.Equal(2, d.DeliveryCount));
        Assert.Equal(items[7].Payload, pass.Single(d => d.ItemId == items[7].ItemId).Payload);
        Assert.Equal(T0 + TimeSpan.FromSeconds(1), await LastDeliveredAtAsync(items[0].ItemId));
    }

    [Fact]
    public async Task WorkItem_first_pass_does_not_end_early_when_a_whole_page_was_answered_meanwhile()
    {
        var items = Enumerable.Range(0, 9).Select(Item).ToArray();
        await AddAsync(items);
        var first = await WorkItemFeed.DeliverPendingPageAsync(Db.DataSource, null, 3, T0, CancellationToken.None);
        foreach (var answered in items[3..6])
            await Db.InTransactionAsync((c, t, ct) => WorkItemStore.MarkAnsweredAsync(c, t, answered.ItemId, [1], T0, ct));

        var rest = new List<string>();
        var cursor = first.Next;
        while (cursor is not null)
        {
            var page = await WorkItemFeed.DeliverPendingPageAsync(Db.DataSource, cursor, 3, T0, CancellationToken.None);
            rest.AddRange(page.Items.Select(d => d.ItemId));
            cursor = page.Next;
        }

        Assert.Equal(items[..3].Select(i => i.ItemId), first.Items.Select(d => d.ItemId));
        Assert.Equal(items[6..].Select(i => i.ItemId), rest);
    }

    [Fact]
    public async Task WorkItem_is_due_again_only_after_the_redelivery_timeout_and_each_claim_counts_a_delivery()
    {
        var item = Item(1);
        await AddAsync(item);

        var first = await DueAsync(T0);
        var tooSoon = await DueAsync(T0 + Timeout - TimeSpan.FromSeconds(1));
        var again = await DueAsync(T0 + Timeout + TimeSpan.FromSeconds(1));
        var thenTooSoon = await DueAsync(T0 + Timeout + TimeSpan.FromSeconds(2));

        Assert.Equal(1, Assert.Single(first).DeliveryCount);
        Assert.Empty(tooSoon);
        Assert.Equal(2, Assert.Single(again).DeliveryCount);
        Assert.Empty(thenTooSoon);
        Assert.Equal(T0 + Timeout + TimeSpan.FromSeconds(1), await LastDeliveredAtAsync(item.ItemId));
        var stored = await Db.WithConnectionAsync((c, ct) => WorkItemStore.GetAsync(c, null, item.ItemId, ct));
        Assert.Equal(2, stored!.DeliveryCount);
    }

    [Fact]
    public async Task WorkItem_answered_or_cancelled_is_never_due_again()
    {
        var answered = Item(1);
        var cancelled = Item(2);
        await AddAsync(answered, cancelled);
        Assert.Equal(2, (await DueAsync(T0)).Count);
        await Db.InTransactionAsync((c, t, ct) => WorkItemStore.MarkAnsweredAsync(c, t, answered.ItemId, [1], T0, ct));
        await Db.InTransactionAsync((c, t, ct) => WorkItemStore.MarkCancelledAsync(c, t, cancelled.ItemId, T0, ct));

        Assert.Empty(await DueAsync(T0 + TimeSpan.FromDays(30)));
        Assert.Empty(await FirstPassAsync(T0 + TimeSpan.FromDays(30), pageSize: 10));
    }

    [Fact]
    public async Task WorkItem_never_delivered_comes_before_overdue_ones_so_a_backlog_does_not_crowd_it_out()
    {
        var backlog = Enumerable.Range(0, 10).Select(Item).ToArray();
        await AddAsync(backlog);
        await DueAsync(T0);
        var fresh = Item(50);
        await AddAsync(fresh);

        var claimed = await DueAsync(T0 + TimeSpan.FromDays(1), max: 3);

        Assert.Equal([fresh.ItemId, backlog[0].ItemId, backlog[1].ItemId], claimed.Select(d => d.ItemId));
        Assert.Equal([1, 2, 2], claimed.Select(d => d.DeliveryCount));
    }

    [Fact]
    public async Task WorkItem_withdrawal_cancels_only_before_the_first_counted_delivery()
    {
        var undelivered = Item(1);
        var delivered = Item(2);
        await AddAsync(delivered);
        await DueAsync(T0);
        await AddAsync(undelivered);

        var cancelledUndelivered = await Db.InTransactionAsync((c, t, ct) => WorkItemFeed.CancelIfUndeliveredAsync(c, t, undelivered.ItemId, ct));
        var cancelledDelivered = await Db.InTransactionAsync((c, t, ct) => WorkItemFeed.CancelIfUndeliveredAsync(c, t, delivered.ItemId, ct));

        Assert.True(cancelledUndelivered);
        Assert.False(cancelledDelivered);
        Assert.Empty(await DueAsync(T0 + TimeSpan.FromSeconds(1)));
        Assert.Equal(delivered.ItemId, Assert.Single(await DueAsync(T0 + TimeSpan.FromDays(1))).ItemId);
    }

    [Fact]
    public async Task WorkItem_claims_by_concurrent_streams_never_hand_out_the_same_due_item_twice()
    {
        var items = Enumerable.Range(0, 600).Select(Item).ToArray();
        await AddAsync(items);

        async Task<List<string>> ClaimUntilEmptyAsync()
        {
            var mine = new List<string>();
            while (true)
            {
                var batch = await DueAsync(T0, max: 7);
                if (batch.Count == 0) return mine;
                mine.AddRange(batch.Select(d => d.ItemId));
            }
        }
        var claims = await Task.WhenAll(ClaimUntilEmptyAsync(), ClaimUntilEmptyAsync(), ClaimUntilEmptyAsync());

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(items.Length, all.Count);
        Assert.Equal(items.Select(i => i.ItemId).Order(StringComparer.Ordinal), all.Order(StringComparer.Ordinal));
        await using var cmd = Db.DataSource.CreateCommand("SELECT count(*) FROM work_items WHERE delivery_count <> 1");
        Assert.Equal(0L, (long)(await cmd.ExecuteScalarAsync())!);
    }
}
