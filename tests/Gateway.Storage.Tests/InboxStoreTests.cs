namespace Gateway.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class InboxStoreTests(PostgresFixture fixture) : DatabaseTest(fixture, "inbox")
{
    [Fact]
    public async Task A_message_id_is_recorded_once_and_its_redelivery_is_recognised()
    {
        var id = NewId("msg");

        var first = await Db.InTransactionAsync((c, t, ct) => InboxStore.TryRecordAsync(c, t, id, "contact_letter", "15", ct));
        var again = await Db.InTransactionAsync((c, t, ct) => InboxStore.TryRecordAsync(c, t, id, "contact_letter", "15", ct));

        Assert.True(first);
        Assert.False(again);
    }

    [Fact]
    public async Task A_batch_records_its_ids_in_one_statement_and_names_only_the_new_ones()
    {
        var (seen, a, b) = (NewId("msg"), NewId("msg"), NewId("msg"));
        await Db.InTransactionAsync((c, t, ct) => InboxStore.TryRecordAsync(c, t, seen, "contact_letter", "15", ct));

        var fresh = await Db.InTransactionAsync((c, t, ct) => InboxStore.TryRecordManyAsync(c, t,
            [(seen, "contact_letter", "15"), (a, "info_table", "15"), (b, "completed", "51"), (a, "info_table", "15")], ct));

        Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal), fresh.Order(StringComparer.Ordinal));
        Assert.True(await Db.WithConnectionAsync((c, ct) => InboxStore.ContainsAsync(c, null, b, ct)));
    }

    [Fact]
    public async Task Dedupe_record_rolls_back_with_the_transaction_that_applied_the_message()
    {
        var id = NewId("msg");

        await Assert.ThrowsAsync<InvalidOperationException>(() => Db.InTransactionAsync<bool>(async (c, t, ct) =>
        {
            Assert.True(await InboxStore.TryRecordAsync(c, t, id, "info_table", "51", ct));
            throw new InvalidOperationException("applying the message failed");
        }));

        Assert.False(await Db.WithConnectionAsync((c, ct) => InboxStore.ContainsAsync(c, null, id, ct)));
        Assert.True(await Db.InTransactionAsync((c, t, ct) => InboxStore.TryRecordAsync(c, t, id, "info_table", "51", ct)));
    }
}
