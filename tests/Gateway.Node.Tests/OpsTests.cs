using Gateway.Contracts.Ops.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Npgsql;
using Proto = Gateway.Contracts.Transfer.V1;

namespace Gateway.Node.Tests;

/// <summary>
/// Two nodes (15 origin, 51 destination) with a small re-send budget (3 sends, 2 s apart), so an envelope whose
/// receiver is down fails within seconds.
/// </summary>
public sealed class OpsClusterFixture : IAsyncLifetime
{
    public GatewayCluster Cluster { get; private set; } = null!;
    public TransferDriver Driver { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await GatewayCluster.StartAsync(ClusterOptions.ForOperators(peoplePerProvince: 120));
        Driver = new TransferDriver(Cluster);
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    public OpsService.OpsServiceClient Ops(string province) => new(Cluster[province].Channel);

    public Task SqlAsync(string province, string sql) => NodeFaults.ExecuteAsync(Cluster[province], sql);
}

[CollectionDefinition(Name)]
public sealed class OpsCollection : ICollectionFixture<OpsClusterFixture>
{
    public const string Name = "ops cluster";
}

[Collection(OpsCollection.Name)]
public sealed class OpsTests(OpsClusterFixture fx)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private Task RefuseAsync(string province, string name, string certno, string condition) =>
        NodeFaults.RefuseTransferChangesAsync(fx.Cluster[province], name, certno, condition);

    private Task AllowAsync(string province, string name) => NodeFaults.AllowTransferChangesAsync(fx.Cluster[province], name);

    private static Task<T> PollAsync<T>(Func<Task<T?>> probe, string what) where T : class => NodeFaults.PollAsync(probe, what, Timeout);

    private static Metadata Key() => TransferDriver.Key();

    [Fact]
    public async Task A_dead_lettered_envelope_is_reapplied_once_the_cause_is_fixed_and_only_once()
    {
        // Suspended at the origin: the transfer may complete.
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var trigger = "refuse_ack_" + Guid.NewGuid().ToString("N")[..8];
        // The origin's database refuses the acknowledgement: the destination's TransferCompleted is dead-lettered at 15.
        await RefuseAsync("15", trigger, person.IdentityNumber, "NEW.state = 'Acknowledged'");
        var certificate = await fx.Driver.IssueCertificateAsync("15", person, TransferDriver.Today);
        var accepted = await fx.Driver.SubmitAsync("51", certificate, TransferDriver.Today);
        await fx.Driver.WaitForStateAsync("51", accepted.TransferId, Timeout, Proto.TransferState.Completed);

        var dead = await PollAsync(async () => (await fx.Ops("15").ListDeadLettersAsync(new ListDeadLettersRequest { MessageType = "TransferCompleted", PageSize = 500 }))
            .DeadLetters.FirstOrDefault(d => d.TransferId == accepted.TransferId), "the dead-lettered TransferCompleted");
        Assert.StartsWith("refused by PostgreSQL", dead.Reason);
        Assert.Equal("51", dead.SenderProvince);
        Assert.Equal(0, dead.RerunCount);
        var stuck = await fx.Driver.Client("15").GetTransferAsync(new Proto.GetTransferRequest { TransferId = accepted.TransferId });
        Assert.Equal(Proto.TransferState.InfoTableSent, stuck.State);

        // Still refused while the cause is there: nothing changes, the outcome is recorded.
        var again = await fx.Ops("15").ReapplyDeadLetterAsync(new ReapplyDeadLetterRequest { DeadLetterId = dead.Id, Operator = "ops-a", Reason = "try before the fix" }, Key());
        Assert.Equal("STILL_REFUSED", again.Result);

        await AllowAsync("15", trigger);
        var first = await fx.Ops("15").ReapplyDeadLetterAsync(new ReapplyDeadLetterRequest { DeadLetterId = dead.Id, Operator = "ops-a", Reason = "books fixed" }, Key());
        Assert.Equal("APPLIED", first.Result);
        var done = await fx.Driver.Client("15").GetTransferAsync(new Proto.GetTransferRequest { TransferId = accepted.TransferId });
        Assert.Equal(Proto.TransferState.Acknowledged, done.State);
        var timeline = done.Timeline.Count;

        var second = await fx.Ops("15").ReapplyDeadLetterAsync(new ReapplyDeadLetterRequest { DeadLetterId = dead.Id, Operator = "ops-b", Reason = "again" }, Key());
        Assert.Equal("ALREADY_APPLIED", second.Result);
        var after = await fx.Driver.Client("15").GetTransferAsync(new Proto.GetTransferRequest { TransferId = accepted.TransferId });
        Assert.Equal(Proto.TransferState.Acknowledged, after.State);
        Assert.Equal(timeline, after.Timeline.Count);

        var trail = (await fx.Ops("15").ListAuditTrailAsync(new ListAuditTrailRequest { PageSize = 500 })).Entries
            .Where(e => e.Action == "dead_letter.reapply" && e.Subject == dead.Id.ToString()).ToList();
        Assert.Equal(["ALREADY_APPLIED", "APPLIED", "STILL_REFUSED"], trail.Select(e => e.Result)); // newest first
        Assert.Equal(["ops-b", "ops-a", "ops-a"], trail.Select(e => e.Operator));
        Assert.Equal("books fixed", trail[1].Reason);
        var relisted = (await fx.Ops("15").ListDeadLettersAsync(new ListDeadLettersRequest { MessageType = "TransferCompleted", PageSize = 500 }))
            .DeadLetters.Single(d => d.Id == dead.Id);
        Assert.Equal(3, relisted.RerunCount);

        var story = await fx.Ops("15").GetExchangeStoryAsync(new GetExchangeStoryRequest { TransferId = accepted.TransferId });
        Assert.Contains(story.Envelopes, e => e.Status == MessageStatus.DeadLettered && e.MessageType == "TransferCompleted");
        Assert.Contains(story.Envelopes, e => e.Direction == "received" && e.MessageType == "ContactLetterSent");
        Assert.Contains(story.Envelopes, e => e.Direction == "sent" && e.Status == MessageStatus.Acknowledged && e.Attempts.Count > 0);
        Assert.Equal(3, story.OperatorActions.Count);
        Assert.NotEmpty(story.WorkItems);
        Assert.Equal(story.Events.OrderBy(e => e.At.ToDateTimeOffset()).Select(e => e.At), story.Events.Select(e => e.At));
    }

    [Fact]
    public async Task A_transfer_stuck_past_a_deadline_is_listed_overdue_with_the_step_its_deadline_and_the_governing_province()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Active);
        var trigger = "refuse_letter_" + Guid.NewGuid().ToString("N")[..8];
        // The origin never takes the letter, so the destination's copy stays open; it was accepted 90 days ago.
        await RefuseAsync("15", trigger, person.IdentityNumber, "true");
        try
        {
            var acceptedOn = TransferDriver.Today.AddDays(-90);
            var certificate = await fx.Driver.IssueCertificateAsync("15", person, acceptedOn);
            var accepted = await fx.Driver.SubmitAsync("51", certificate, acceptedOn);
            var view = await fx.Driver.Client("51").GetTransferAsync(new Proto.GetTransferRequest { TransferId = accepted.TransferId });
            var expected = view.Deadlines.Where(d => d.Overdue).ToList();
            Assert.NotEmpty(expected);

            var entry = await PollAsync(async () =>
            {
                string token = "";
                do
                {
                    var page = await fx.Ops("51").ListExchangesAsync(new ListExchangesRequest { Condition = Condition.Overdue, CounterpartProvince = "15", PageSize = 100, PageToken = token });
                    if (page.Entries.FirstOrDefault(e => e.TransferId == accepted.TransferId) is { } hit) return hit;
                    token = page.NextPageToken;
                } while (token.Length > 0);
                return null;
            }, "the overdue transfer");
            Assert.Equal("15", entry.CounterpartProvince);
            Assert.Equal(expected.Select(d => (d.Step, d.DueOn, d.GoverningProvince)), entry.Overdue.Select(o => (o.Step, o.DueOn, o.GoverningProvince)));
            Assert.All(entry.Overdue, o => Assert.True(DateOnly.Parse(o.DueOn) < TransferDriver.Today));

            var step = entry.Overdue[0].Step;
            var byStep = await fx.Ops("51").ListExchangesAsync(new ListExchangesRequest { Condition = Condition.Overdue, Step = step, PageSize = 500 });
            Assert.Contains(byStep.Entries, e => e.TransferId == accepted.TransferId);
            Assert.All(byStep.Entries, e => Assert.All(e.Overdue, o => Assert.Equal(step, o.Step)));
            var counts = await fx.Ops("51").CountConditionsAsync(new CountConditionsRequest());
            var overdue = counts.Counts.Single(c => c.Condition == Condition.Overdue);
            Assert.True(overdue.Count >= 1);
            Assert.True(overdue.ByCounterpart["15"] >= 1);
        }
        finally
        {
            await AllowAsync("15", trigger);
        }
    }

    [Fact]
    public async Task An_envelope_whose_budget_ran_out_is_listed_failed_and_a_bulk_resend_completes_the_transfer()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var certificate = await fx.Driver.IssueCertificateAsync("15", person, TransferDriver.Today);
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        await fx.Cluster["15"].StopAsync();
        Proto.Transfer accepted;
        ExchangeEntry failed;
        try
        {
            accepted = await fx.Driver.SubmitAsync("51", certificate, TransferDriver.Today);
            failed = await PollAsync(async () => (await fx.Ops("51").ListExchangesAsync(new ListExchangesRequest { Condition = Condition.Failed, CounterpartProvince = "15", PageSize = 500 }))
                .Entries.FirstOrDefault(e => e.TransferId == accepted.TransferId), "the letter to fail");
            Assert.Equal("ContactLetterSent", failed.MessageType);
            Assert.Equal(3, failed.Attempts);
            Assert.Contains("retry budget used up", failed.LastError);
            var counts = await fx.Ops("51").CountConditionsAsync(new CountConditionsRequest());
            Assert.True(counts.Counts.Single(c => c.Condition == Condition.Failed).ByCounterpart["15"] >= 1);

            var resent = await fx.Ops("51").ResendFailedAsync(new ResendFailedRequest
            {
                CounterpartProvince = "15", Created = new TimeRange { From = Timestamp.FromDateTimeOffset(from), To = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(1)) },
                Operator = "ops-c", Reason = "node 15 is back",
            }, Key());
            Assert.True(resent.Succeeded >= 1);
            Assert.Equal(resent.Matched, resent.Succeeded);
        }
        finally
        {
            await fx.Cluster["15"].StartAsync();
        }
        await fx.Driver.WaitForStateAsync("51", accepted.TransferId, Timeout, Proto.TransferState.Completed);
        var story = await fx.Ops("51").GetExchangeStoryAsync(new GetExchangeStoryRequest { TransferId = accepted.TransferId });
        var letter = story.Envelopes.Single(e => e.MessageId == failed.MessageId);
        Assert.Equal(MessageStatus.Acknowledged, letter.Status);
        Assert.Contains(letter.Attempts, a => a.Outcome == "failed");
        Assert.Contains(letter.Attempts, a => a.Outcome == "requeued");
    }

    [Fact]
    public async Task Bad_input_unknown_ids_and_forbidden_actions_are_refused_and_change_nothing()
    {
        var ops = fx.Ops("51");
        var bad = await Assert.ThrowsAsync<RpcException>(() => ops.ReapplyDeadLetterAsync(new ReapplyDeadLetterRequest { DeadLetterId = 1, Operator = "ops" }, Key()).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        Assert.Contains("reason", ErrorDetails.Fields(bad));
        bad = await Assert.ThrowsAsync<RpcException>(() => ops.ResendOutboundAsync(new ResendOutboundRequest { MessageId = "x", Operator = "ops", Reason = new string('r', 501) }, Key()).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        Assert.Contains("reason", ErrorDetails.Fields(bad));
        bad = await Assert.ThrowsAsync<RpcException>(() => ops.ResendFailedAsync(new ResendFailedRequest { Operator = "ops", Reason = "r" }, Key()).ResponseAsync);
        Assert.Contains("created", ErrorDetails.Fields(bad));
        foreach (var size in new[] { -1, 501 })
        {
            bad = await Assert.ThrowsAsync<RpcException>(() => ops.ListExchangesAsync(new ListExchangesRequest { Condition = Condition.Held, PageSize = size }).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
            Assert.Contains("page_size", ErrorDetails.Fields(bad));
        }
        bad = await Assert.ThrowsAsync<RpcException>(() => ops.ListExchangesAsync(new ListExchangesRequest { Condition = Condition.Held, PageToken = "bm90IGEgdG9rZW4=" }).ResponseAsync);
        Assert.Contains("page_token", ErrorDetails.Fields(bad));
        bad = await Assert.ThrowsAsync<RpcException>(() => ops.ListExchangesAsync(new ListExchangesRequest()).ResponseAsync);
        Assert.Contains("condition", ErrorDetails.Fields(bad));

        var missing = await Assert.ThrowsAsync<RpcException>(() => ops.ReapplyDeadLetterAsync(new ReapplyDeadLetterRequest { DeadLetterId = 987654321, Operator = "ops", Reason = "r" }, Key()).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        missing = await Assert.ThrowsAsync<RpcException>(() => ops.ResendOutboundAsync(new ResendOutboundRequest { MessageId = "no-such", Operator = "ops", Reason = "r" }, Key()).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        missing = await Assert.ThrowsAsync<RpcException>(() => ops.RedeliverWorkItemAsync(new RedeliverWorkItemRequest { ItemId = "no-such", Operator = "ops", Reason = "r" }, Key()).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        missing = await Assert.ThrowsAsync<RpcException>(() => ops.GetExchangeStoryAsync(new GetExchangeStoryRequest { TransferId = "no-such" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);

        // A delivered envelope is not re-sent.
        var (dest, _) = await fx.Driver.RunAsync("15", "51", fx.Driver.PickPerson("15", EnrolmentState.Suspended), TransferDriver.Today, Timeout);
        var story = await ops.GetExchangeStoryAsync(new GetExchangeStoryRequest { TransferId = dest.TransferId });
        var delivered = story.Envelopes.First(e => e.Direction == "sent" && e.Status == MessageStatus.Acknowledged);
        var refused = await Assert.ThrowsAsync<RpcException>(() => ops.ResendOutboundAsync(new ResendOutboundRequest { MessageId = delivered.MessageId, Operator = "ops", Reason = "r" }, Key()).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal("ENVELOPE_NOT_FAILED", ErrorDetails.Reason(refused));

        // A record that is no envelope cannot be re-applied; once marked never to re-run, it is refused for that reason.
        await fx.SqlAsync("51", """
            INSERT INTO dead_letters (topic, partition, "offset", payload, reason, first_seen_at, last_seen_at)
            VALUES ('test', 0, 424242, '\x0102'::bytea, 'The record is not an envelope: test', now(), now())
            """);
        var dead = (await ops.ListDeadLettersAsync(new ListDeadLettersRequest { ReasonPrefix = "The record is not an envelope: test" })).DeadLetters.Single();
        refused = await Assert.ThrowsAsync<RpcException>(() => ops.ReapplyDeadLetterAsync(new ReapplyDeadLetterRequest { DeadLetterId = dead.Id, Operator = "ops", Reason = "r" }, Key()).ResponseAsync);
        Assert.Equal("DEAD_LETTER_UNREADABLE", ErrorDetails.Reason(refused));
        var marked = await ops.MarkNeverRerunAsync(new MarkNeverRerunRequest { DeadLetterId = dead.Id, Operator = "ops", Reason = "garbage" }, Key());
        Assert.Equal("MARKED", marked.Result);
        refused = await Assert.ThrowsAsync<RpcException>(() => ops.ReapplyDeadLetterAsync(new ReapplyDeadLetterRequest { DeadLetterId = dead.Id, Operator = "ops", Reason = "r" }, Key()).ResponseAsync);
        Assert.Equal("DEAD_LETTER_NEVER_RERUN", ErrorDetails.Reason(refused));
        refused = await Assert.ThrowsAsync<RpcException>(() => ops.MarkNeverRerunAsync(new MarkNeverRerunRequest { DeadLetterId = dead.Id, Operator = "ops", Reason = "r" }, Key()).ResponseAsync);
        Assert.Equal("DEAD_LETTER_ALREADY_NEVER_RERUN", ErrorDetails.Reason(refused));
        Assert.True((await ops.ListDeadLettersAsync(new ListDeadLettersRequest { ReasonPrefix = "The record is not an envelope: test" })).DeadLetters.Single().NeverRerun);
    }
}
