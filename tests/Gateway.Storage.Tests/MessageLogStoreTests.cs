using System.Text;
using Npgsql;

namespace Gateway.Storage.Tests;

/// <summary>The message log's appends ride in the statements that record sends, receptions, dead letters and actions.</summary>
[Collection(PostgresCollection.Name)]
public sealed class MessageLogStoreTests(PostgresFixture fixture) : DatabaseTest(fixture, "message_log")
{
    private static MessageLogEntry Entry(string kind, string id) =>
        new(kind, id, "ContactLetterSent", "51", "15", "T-1", MessageLogStore.Sm3(Encoding.UTF8.GetBytes(id)));

    private Task<long> CountAsync(string kind, string? messageId) => Db.WithConnectionAsync(async (c, ct) =>
    {
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM message_log WHERE kind = @k AND message_id IS NOT DISTINCT FROM @m", c);
        cmd.Parameters.AddWithValue("k", kind);
        cmd.Parameters.Add(new NpgsqlParameter("m", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)messageId ?? DBNull.Value });
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    });

    [Fact]
    public async Task An_envelope_entering_the_outbox_is_logged_once_even_when_enqueued_again()
    {
        var id = NewId("m");
        var message = new OutboxMessage(id, "ContactLetterSent", "15", "gateway.inbox.15", "T-1", [1, 2, 3], "T-1", true, Entry(MessageLogStore.Sent, id));
        Assert.True(await Db.InTransactionAsync((c, t, ct) => OutboxStore.EnqueueAsync(c, t, message, T0, ct)));
        Assert.False(await Db.InTransactionAsync((c, t, ct) => OutboxStore.EnqueueAsync(c, t, message, T0, ct)));
        Assert.Equal(1, await CountAsync(MessageLogStore.Sent, id));
        // Without an entry (tools, old callers) nothing is logged.
        var plain = NewId("m");
        await Db.InTransactionAsync((c, t, ct) => OutboxStore.EnqueueAsync(c, t, message with { MessageId = plain, Log = null }, T0, ct));
        Assert.Equal(0, await CountAsync(MessageLogStore.Sent, plain));
    }

    [Fact]
    public async Task A_batch_logs_each_new_id_once_and_nothing_for_ids_already_seen()
    {
        var (seen, a, b) = (NewId("msg"), NewId("msg"), NewId("msg"));
        await Db.InTransactionAsync((c, t, ct) => InboxStore.TryRecordAsync(c, t, seen, "x", "15", Entry(MessageLogStore.Received, seen), ct));
        var fresh = await Db.InTransactionAsync((c, t, ct) => InboxStore.TryRecordManyAsync(c, t,
            [(seen, "x", "15", Entry(MessageLogStore.Received, seen)), (a, "x", "15", Entry(MessageLogStore.Received, a)),
             (b, "x", "51", Entry(MessageLogStore.Received, b)), (a, "x", "15", Entry(MessageLogStore.Received, a))], ct));
        Assert.Equal(2, fresh.Count);
        foreach (var id in new[] { seen, a, b }) Assert.Equal(1, await CountAsync(MessageLogStore.Received, id));
    }

    [Fact]
    public async Task An_entry_rolls_back_with_its_transaction()
    {
        var id = NewId("msg");
        await Assert.ThrowsAsync<InvalidOperationException>(() => Db.InTransactionAsync<bool>(async (c, t, ct) =>
        {
            Assert.True(await InboxStore.TryRecordAsync(c, t, id, "x", "15", Entry(MessageLogStore.Received, id), ct));
            throw new InvalidOperationException("applying failed");
        }));
        Assert.Equal(0, await CountAsync(MessageLogStore.Received, id));
    }

    [Fact]
    public async Task A_dead_letter_is_logged_at_its_first_arrival_only()
    {
        var letter = new DeadLetter(null, "gateway.inbox.15", 0, Random.Shared.NextInt64(1, long.MaxValue), null, [0xde, 0xad], "not an envelope");
        var entry = new MessageLogEntry(MessageLogStore.DeadLettered, null, null, null, null, null, MessageLogStore.Sm3(letter.Payload));
        await Db.InTransactionAsync((c, t, ct) => DeadLetterStore.AddAsync(c, t, letter, T0, entry, ct));
        await Db.InTransactionAsync((c, t, ct) => DeadLetterStore.AddAsync(c, t, letter with { Reason = "again" }, T0.AddMinutes(1), entry, ct));
        Assert.Equal(1, await Db.WithConnectionAsync(async (c, ct) =>
        {
            await using var cmd = new NpgsqlCommand("SELECT count(*) FROM message_log WHERE kind = 'dead_lettered' AND digest = @d AND at = @at", c);
            cmd.Parameters.AddWithValue("d", entry.Digest);
            cmd.Parameters.AddWithValue("at", T0);
            return (long)(await cmd.ExecuteScalarAsync(ct))!;
        }));
    }

    [Fact]
    public async Task An_operator_action_is_logged_with_the_digest_of_its_audit_row_as_stored()
    {
        var at = new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero).AddTicks(1_234_567); // sub-microsecond part: PostgreSQL drops it
        var id = await Db.InTransactionAsync((c, t, ct) => OpsQueries.AuditAsync(c, t, "张三", "outbox.resend", "15:T-1:letter", "对方\"恢复\"\n",
            "REQUEUED", "T-1", """{ "b": 1,  "a": [1, 2] }""", at, ct));
        var row = (await Db.WithConnectionAsync((c, ct) => OpsQueries.AuditTrailAsync(c, null, 10, ct))).Single(r => r.Id == id);
        var json = MessageLogStore.AuditCanonicalJson(row.Id, row.At, row.Operator, row.Action, row.Subject, row.Reason, row.Result, row.TransferId, row.DetailJson);
        Assert.Contains("\"reason\":\"对方\\\"恢复\\\"\\u000a\"", json);
        Assert.Contains("\"at\":\"2026-03-02T08:00:00.123456Z\"", json);
        var digest = await Db.WithConnectionAsync(async (c, ct) =>
        {
            await using var cmd = new NpgsqlCommand("SELECT digest FROM message_log WHERE kind = 'operator_action' AND message_id = @m", c);
            cmd.Parameters.AddWithValue("m", $"audit:{id}");
            return (byte[])(await cmd.ExecuteScalarAsync(ct))!;
        });
        Assert.Equal(MessageLogStore.Sm3(Encoding.UTF8.GetBytes(json)), digest);
    }

    [Fact]
    public async Task One_sealer_at_a_time()
    {
        await using var first = await Db.DataSource.OpenConnectionAsync();
        await using var tx = await first.BeginTransactionAsync();
        Assert.True(await MessageLogStore.TryLockSealerAsync(first, tx));
        Assert.False(await Db.InTransactionAsync((c, t, ct) => MessageLogStore.TryLockSealerAsync(c, t, ct)));
        await tx.CommitAsync();
        Assert.True(await Db.InTransactionAsync((c, t, ct) => MessageLogStore.TryLockSealerAsync(c, t, ct)));
    }
}
