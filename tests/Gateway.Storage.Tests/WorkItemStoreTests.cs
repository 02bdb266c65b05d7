namespace Gateway.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class WorkItemStoreTests(PostgresFixture fixture) : DatabaseTest(fixture, "work")
{
    private Task<bool> AddAsync(WorkItem item) => Db.InTransactionAsync((c, t, ct) => WorkItemStore.AddAsync(c, t, item, ct));

    [Fact]
    public async Task Adding_an_item_id_twice_keeps_the_first()
    {
        var item = new WorkItem(NewId("wi"), "credit_balance", "T-3", [7], T0);
        Assert.True(await AddAsync(item));
        Assert.False(await AddAsync(item with { Payload = [8] }));

        var stored = await Db.WithConnectionAsync((c, ct) => WorkItemStore.GetAsync(c, null, item.ItemId, ct));
        Assert.Equal([7], stored!.Item.Payload);
    }

    [Fact]
    public async Task First_answer_wins_and_a_repeated_answer_reports_it_was_already_answered()
    {
        var item = new WorkItem(NewId("wi"), "debit_balance", "T-4", [1], T0);
        await AddAsync(item);

        var first = await Db.InTransactionAsync((c, t, ct) => WorkItemStore.MarkAnsweredAsync(c, t, item.ItemId, [0x01], T0 + TimeSpan.FromSeconds(5), ct));
        var repeat = await Db.InTransactionAsync((c, t, ct) => WorkItemStore.MarkAnsweredAsync(c, t, item.ItemId, [0x02], T0 + TimeSpan.FromSeconds(9), ct));
        var cancelLate = await Db.InTransactionAsync((c, t, ct) => WorkItemStore.MarkCancelledAsync(c, t, item.ItemId, T0 + TimeSpan.FromSeconds(10), ct));

        Assert.Equal(WorkItemStatus.Pending, first);
        Assert.Equal(WorkItemStatus.Answered, repeat);
        Assert.Equal(WorkItemStatus.Answered, cancelLate);
        var stored = (await Db.WithConnectionAsync((c, ct) => WorkItemStore.GetAsync(c, null, item.ItemId, ct)))!;
        Assert.Equal(WorkItemStatus.Answered, stored.Status);
        Assert.Equal([0x01], stored.Answer);
        Assert.Equal(T0 + TimeSpan.FromSeconds(5), stored.AnsweredAt);
    }

    [Fact]
    public async Task Cancelled_item_is_no_longer_offered_and_cannot_be_answered()
    {
        var item = new WorkItem(NewId("wi"), "lookup_enrolment", null, [1], T0);
        await AddAsync(item);

        var cancel = await Db.InTransactionAsync((c, t, ct) => WorkItemStore.MarkCancelledAsync(c, t, item.ItemId, T0, ct));
        var answer = await Db.InTransactionAsync((c, t, ct) => WorkItemStore.MarkAnsweredAsync(c, t, item.ItemId, [1], T0, ct));
        var unknown = await Db.InTransactionAsync((c, t, ct) => WorkItemStore.MarkAnsweredAsync(c, t, "no-such-item", [1], T0, ct));

        Assert.Equal(WorkItemStatus.Pending, cancel);
        Assert.Equal(WorkItemStatus.Cancelled, answer);
        Assert.Null(unknown);
        Assert.Equal(WorkItemStatus.Cancelled, (await Db.WithConnectionAsync((c, ct) => WorkItemStore.GetAsync(c, null, item.ItemId, ct)))!.Status);
    }
}
