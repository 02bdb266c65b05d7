using Npgsql;

namespace Gateway.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class OutboxStoreTests(PostgresFixture fixture) : DatabaseTest(fixture, "outbox")
{
    // No jitter here, so that due times are exact.
    private static readonly RetrySchedule Schedule = new(TimeSpan.FromSeconds(10), 2.0, TimeSpan.FromSeconds(60), Budget: 3) { Jitter = 0 };
    private readonly OutboxStore _outbox = new(Schedule, lease: TimeSpan.FromSeconds(5));

    private static OutboxMessage Message(string id, bool needsReceipt = true, string? correlation = "T-1") =>
        new(id, "contact_letter", "15", "gw.15.inbox", correlation ?? id, [1, 2, 3], correlation, needsReceipt);

    private Task<bool> EnqueueAsync(OutboxMessage m, DateTimeOffset? at = null) =>
        Db.InTransactionAsync((c, t, ct) => OutboxStore.EnqueueAsync(c, t, m, at ?? T0, ct));

    private Task<OutboxRow?> GetAsync(string id) => Db.WithConnectionAsync((c, ct) => OutboxStore.GetAsync(c, null, id, ct));

    [Fact]
    public async Task Enqueueing_the_same_deterministic_message_id_twice_keeps_one_row()
    {
        var id = NewId("m");
        Assert.True(await EnqueueAsync(Message(id)));
        Assert.False(await EnqueueAsync(Message(id) with { Payload = [9] }));

        var row = await GetAsync(id);
        Assert.NotNull(row);
        Assert.Equal(OutboxStatus.Pending, row.Status);
        Assert.Equal([1, 2, 3], row.Payload);
    }

    [Fact]
    public async Task An_envelope_is_not_kept_when_the_state_change_that_caused_it_rolls_back()
    {
        var id = NewId("m");
        await Assert.ThrowsAsync<InvalidOperationException>(() => Db.InTransactionAsync<bool>(async (c, t, ct) =>
        {
            await OutboxStore.EnqueueAsync(c, t, Message(id), T0, ct);
            throw new InvalidOperationException("state change refused");
        }));

        Assert.Null(await GetAsync(id));
    }

    [Fact]
    public async Task Claim_returns_due_rows_in_creation_order_and_leases_them()
    {
        var ids = Enumerable.Range(0, 3).Select(_ => NewId("m")).ToList();
        foreach (var id in ids)
        {
            await EnqueueAsync(Message(id));
        }

        var first = await _outbox.ClaimDueAsync(Db, 10, T0);
        var duringLease = await _outbox.ClaimDueAsync(Db, 10, T0 + TimeSpan.FromSeconds(4));
        var afterLease = await _outbox.ClaimDueAsync(Db, 10, T0 + TimeSpan.FromSeconds(5));

        Assert.Equal(ids, first.Select(r => r.MessageId));
        Assert.Empty(duringLease);
        // A relay that claimed and died leaves the rows due again once the lease runs out.
        Assert.Equal(ids, afterLease.Select(r => r.MessageId));
    }

    [Fact]
    public async Task Rows_not_yet_created_at_the_claim_time_are_not_due()
    {
        var id = NewId("m");
        await EnqueueAsync(Message(id), T0 + TimeSpan.FromMinutes(1));

        Assert.Empty(await _outbox.ClaimDueAsync(Db, 10, T0));
        Assert.Single(await _outbox.ClaimDueAsync(Db, 10, T0 + TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Published_envelope_waits_for_its_receipt_and_is_resent_after_the_backoff()
    {
        var id = NewId("m");
        await EnqueueAsync(Message(id));

        var claimed = await _outbox.ClaimDueAsync(Db, 10, T0);
        Assert.Equal(1, await _outbox.MarkPublishedAsync(Db, claimed, T0));

        var row = (await GetAsync(id))!;
        Assert.Equal(OutboxStatus.AwaitingReceipt, row.Status);
        Assert.Equal(1, row.Attempts);
        Assert.Equal(T0 + TimeSpan.FromSeconds(10), row.NextAttemptAt);
        Assert.Empty(await _outbox.ClaimDueAsync(Db, 10, T0 + TimeSpan.FromSeconds(9)));

        var resend = await _outbox.ClaimDueAsync(Db, 10, T0 + TimeSpan.FromSeconds(10));
        Assert.Equal(id, Assert.Single(resend).MessageId);
        await _outbox.MarkPublishedAsync(Db, resend, T0 + TimeSpan.FromSeconds(10));

        row = (await GetAsync(id))!;
        Assert.Equal(2, row.Attempts);
        // Second wait doubles: 10 s × 2.
        Assert.Equal(T0 + TimeSpan.FromSeconds(30), row.NextAttemptAt);
        var history = await Db.WithConnectionAsync((c, ct) => OutboxStore.HistoryAsync(c, null, id, ct));
        Assert.Equal(["published", "published"], history.Select(h => h.Outcome));
        Assert.Equal([1, 2], history.Select(h => h.Attempt));
    }

    [Fact]
    public async Task Receipt_marks_the_envelope_delivered_once_and_stops_resending()
    {
        var id = NewId("m");
        await EnqueueAsync(Message(id));
        await _outbox.MarkPublishedAsync(Db, await _outbox.ClaimDueAsync(Db, 10, T0), T0);

        var first = await Db.InTransactionAsync((c, t, ct) => OutboxStore.MarkReceiptAsync(c, t, "15", id, T0 + TimeSpan.FromSeconds(1), ct));
        var duplicate = await Db.InTransactionAsync((c, t, ct) => OutboxStore.MarkReceiptAsync(c, t, "15", id, T0 + TimeSpan.FromSeconds(2), ct));

        Assert.True(first);
        Assert.False(duplicate);
        var row = (await GetAsync(id))!;
        Assert.Equal(OutboxStatus.Delivered, row.Status);
        Assert.Equal(T0 + TimeSpan.FromSeconds(1), row.ReceiptAt);
        Assert.Empty(await _outbox.ClaimDueAsync(Db, 10, T0 + TimeSpan.FromDays(1)));
    }

    [Fact]
    public async Task Receipt_or_rejection_from_a_province_that_is_not_the_receiver_changes_nothing()
    {
        var id = NewId("m");
        await EnqueueAsync(Message(id));
        await _outbox.MarkPublishedAsync(Db, await _outbox.ClaimDueAsync(Db, 10, T0), T0);

        var foreign = await Db.InTransactionAsync((c, t, ct) => OutboxStore.ForeignMessageIdsAsync(c, t, "44", [id, "unknown"], ct));
        var receipt = await Db.InTransactionAsync((c, t, ct) => OutboxStore.MarkReceiptAsync(c, t, "44", id, T0, ct));
        var rejection = await Db.InTransactionAsync((c, t, ct) => OutboxStore.MarkRejectedAsync(c, t, "44", id, "forged", T0, ct));

        Assert.Equal([id], foreign);
        Assert.False(receipt);
        Assert.False(rejection.Failed);
        Assert.Equal(OutboxStatus.AwaitingReceipt, (await GetAsync(id))!.Status);
        Assert.Empty(await Db.InTransactionAsync((c, t, ct) => OutboxStore.ForeignMessageIdsAsync(c, t, "15", [id], ct)));
    }

    [Fact]
    public async Task Receipt_arriving_before_the_relay_marks_the_send_is_not_overwritten()
    {
        var id = NewId("m");
        await EnqueueAsync(Message(id));
        var claimed = await _outbox.ClaimDueAsync(Db, 10, T0);

        Assert.True(await Db.InTransactionAsync((c, t, ct) => OutboxStore.MarkReceiptAsync(c, t, "15", id, T0, ct)));
        Assert.Equal(0, await _outbox.MarkPublishedAsync(Db, claimed, T0));

        Assert.Equal(OutboxStatus.Delivered, (await GetAsync(id))!.Status);
    }

    [Fact]
    public async Task Envelope_without_receipt_is_published_once_and_never_resent()
    {
        var id = NewId("receipt");
        await EnqueueAsync(Message(id, needsReceipt: false));
        await _outbox.MarkPublishedAsync(Db, await _outbox.ClaimDueAsync(Db, 10, T0), T0);

        Assert.Equal(OutboxStatus.Published, (await GetAsync(id))!.Status);
        Assert.Empty(await _outbox.ClaimDueAsync(Db, 10, T0 + TimeSpan.FromDays(1)));
    }

    [Fact]
    public async Task Failed_send_counts_an_attempt_keeps_the_error_and_waits_for_the_backoff()
    {
        var id = NewId("m");
        await EnqueueAsync(Message(id));

        await _outbox.MarkPublishFailedAsync(Db, await _outbox.ClaimDueAsync(Db, 10, T0), "broker unavailable", T0);

        var row = (await GetAsync(id))!;
        Assert.Equal(OutboxStatus.Pending, row.Status);
        Assert.Equal(1, row.Attempts);
        Assert.Equal("broker unavailable", row.LastError);
        Assert.Equal(T0 + TimeSpan.FromSeconds(10), row.NextAttemptAt);
        Assert.Empty(await _outbox.ClaimDueAsync(Db, 10, T0 + TimeSpan.FromSeconds(9)));
        Assert.Single(await _outbox.ClaimDueAsync(Db, 10, T0 + TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Envelope_without_receipt_after_the_budget_fails_and_operator_requeue_restarts_it()
    {
        var id = NewId("m");
        await EnqueueAsync(Message(id));
        var now = T0;
        for (var attempt = 1; attempt <= Schedule.Budget; attempt++)
        {
            var claimed = await _outbox.ClaimDueAsync(Db, 10, now);
            Assert.Single(claimed);
            await _outbox.MarkPublishedAsync(Db, claimed, now);
            now = (await GetAsync(id))!.NextAttemptAt;
        }

        // Budget used: no fourth send, and the last wait (40 s) must pass before it is declared failed.
        Assert.Empty(await _outbox.ClaimDueAsync(Db, 10, now + TimeSpan.FromDays(1)));
        Assert.Empty(await _outbox.FailExhaustedAsync(Db, now - TimeSpan.FromSeconds(1)));
        var failed = await _outbox.FailExhaustedAsync(Db, now);

        var row = Assert.Single(failed);
        Assert.Equal(id, row.MessageId);
        Assert.Equal(OutboxStatus.Failed, row.Status);
        Assert.Contains("retry budget", row.LastError);
        Assert.Equal(T0 + TimeSpan.FromSeconds(10 + 20 + 40), now);

        var requeued = await Db.InTransactionAsync((c, t, ct) => OutboxStore.RequeueAsync(c, t, id, "operator-li", now, ct));
        Assert.True(requeued);
        row = (await GetAsync(id))!;
        Assert.Equal(OutboxStatus.Pending, row.Status);
        Assert.Equal(0, row.Attempts);
        Assert.Single(await _outbox.ClaimDueAsync(Db, 10, now));

        var audit = await Db.WithConnectionAsync((c, ct) => AuditLog.ListAsync(c, null, subject: id, ct: ct));
        Assert.Equal("operator-li", Assert.Single(audit).Actor);
        var history = await Db.WithConnectionAsync((c, ct) => OutboxStore.HistoryAsync(c, null, id, ct));
        Assert.Equal(["published", "published", "published", "failed", "requeued"], history.Select(h => h.Outcome));
    }

    [Fact]
    public async Task Requeue_refuses_envelopes_that_have_not_failed()
    {
        var id = NewId("m");
        await EnqueueAsync(Message(id));

        Assert.False(await Db.InTransactionAsync((c, t, ct) => OutboxStore.RequeueAsync(c, t, id, "operator", T0, ct)));
        Assert.Empty(await Db.WithConnectionAsync((c, ct) => AuditLog.ListAsync(c, null, subject: id, ct: ct)));
    }

    [Fact]
    public async Task Uncommitted_claim_is_skipped_by_a_second_relay_instead_of_blocking_it()
    {
        var ids = Enumerable.Range(0, 6).Select(_ => NewId("m")).ToList();
        foreach (var id in ids)
        {
            await EnqueueAsync(Message(id));
        }

        await using var connA = await Db.DataSource.OpenConnectionAsync();
        await using var txA = await connA.BeginTransactionAsync();
        var claimedByA = await _outbox.ClaimDueAsync(connA, txA, 3, T0);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var claimedByB = await _outbox.ClaimDueAsync(Db, 10, T0, timeout.Token);
        await txA.CommitAsync();

        Assert.Equal(3, claimedByA.Count);
        Assert.Equal(3, claimedByB.Count);
        Assert.Empty(claimedByA.Select(r => r.Id).Intersect(claimedByB.Select(r => r.Id)));
    }

    [Fact]
    public async Task Concurrent_relays_never_claim_the_same_row()
    {
        const int total = 200;
        await Db.InTransactionAsync(async (c, t, ct) =>
        {
            for (var i = 0; i < total; i++)
            {
                await OutboxStore.EnqueueAsync(c, t, Message(NewId("bulk")), T0, ct);
            }
        });

        var relays = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var mine = new List<long>();
            while (true)
            {
                var batch = await _outbox.ClaimDueAsync(Db, 7, T0);
                if (batch.Count == 0)
                {
                    return mine;
                }
                mine.AddRange(batch.Select(r => r.Id));
            }
        }));
        var claims = await Task.WhenAll(relays);

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(total, all.Count);
        Assert.Equal(total, all.Distinct().Count());
    }

    [Fact]
    public async Task Operators_list_by_status_newest_first_in_pages()
    {
        var correlation = NewId("T");
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var id = NewId("m");
            ids.Add(id);
            await EnqueueAsync(Message(id, correlation: correlation));
        }
        await Db.InTransactionAsync((c, t, ct) => OutboxStore.MarkReceiptAsync(c, t, "15", ids[0], T0, ct));

        var seen = new List<string>();
        long? before = null;
        var pages = 0;
        do
        {
            var page = await Db.WithConnectionAsync((c, ct) => OutboxStore.ListAsync(c, null,
                new OutboxQuery(OutboxStatus.Pending, correlation, before, Limit: 2), ct));
            seen.AddRange(page.Rows.Select(r => r.MessageId));
            before = page.NextBeforeId;
            pages++;
        }
        while (before is not null);

        Assert.Equal(ids.Skip(1).Reverse(), seen);
        Assert.Equal(2, pages);
        var counts = await Db.WithConnectionAsync((c, ct) => OutboxStore.CountByStatusAsync(c, null, ct));
        Assert.Equal(1, counts[OutboxStatus.Delivered]);
    }
}
