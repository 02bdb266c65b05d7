using System.Text.RegularExpressions;
using Gateway.Contracts.Ops.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Google.Protobuf;
using Npgsql;
using Proto = Gateway.Contracts.Transfer.V1;

namespace Gateway.Ops.Cli.Tests;

/// <summary>Two nodes (15 origin, 51 destination) with a small re-send budget, as the ops service tests use.</summary>
public sealed class CliClusterFixture : IAsyncLifetime
{
    public GatewayCluster Cluster { get; private set; } = null!;
    public TransferDriver Driver { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await GatewayCluster.StartAsync(ClusterOptions.ForOperators(peoplePerProvince: 60));
        Driver = new TransferDriver(Cluster);
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    public OpsService.OpsServiceClient Ops(string province) => new(Cluster[province].Channel);

    public Task SqlAsync(string province, string sql) => NodeFaults.ExecuteAsync(Cluster[province], sql);

    /// <summary>Runs the CLI in-process against node <paramref name="province"/>, as operator cli-test.</summary>
    public async Task<(int Code, string Out, string Err)> CliAsync(string province, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync([.. args, "--node", Cluster[province].Address.ToString()], output, error,
            name => name == "USER" ? "cli-test" : null);
        return (code, output.ToString(), error.ToString());
    }
}

[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliClusterFixture>
{
    public const string Name = "cli cluster";
}

[Collection(CliCollection.Name)]
public sealed class CliClusterTests(CliClusterFixture fx)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private Task RefuseAsync(string province, string name, string certno, string condition) =>
        NodeFaults.RefuseTransferChangesAsync(fx.Cluster[province], name, certno, condition);

    private Task AllowAsync(string province, string name) => NodeFaults.AllowTransferChangesAsync(fx.Cluster[province], name);

    private static Task<T> PollAsync<T>(Func<Task<T?>> probe, string what) where T : class => NodeFaults.PollAsync(probe, what, Timeout);

    private static T Parse<T>(string json) where T : IMessage<T>, new() => JsonParser.Default.Parse<T>(json);

    private static string Iso(DateTimeOffset at) => at.ToString("O");

    /// <summary>The CLI's JSON, parsed, equals the service's own answer to the same request made right after (retried while other work moves the numbers).</summary>
    private static async Task<T> SameAsServiceAsync<T>(Func<Task<(int Code, string Out, string Err)>> cli, Func<Task<T>> direct, string what)
        where T : class, IMessage<T>, new()
    {
        return await PollAsync<T>(async () =>
        {
            var (code, output, error) = await cli();
            Assert.True(code == ExitCodes.Ok, error);
            var parsed = Parse<T>(output);
            return parsed.Equals(await direct()) ? parsed : null;
        }, what);
    }

    [Fact]
    public async Task Counts_and_the_overdue_list_as_json_are_what_the_service_returns()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Active);
        var trigger = "refuse_letter_" + Guid.NewGuid().ToString("N")[..8];
        // The origin never takes the letter, so the destination's copy stays open; accepted 90 days ago, it is overdue.
        await RefuseAsync("15", trigger, person.IdentityNumber, "true");
        try
        {
            var acceptedOn = TransferDriver.Today.AddDays(-90);
            var accepted = await fx.Driver.SubmitAsync("51", await fx.Driver.IssueCertificateAsync("15", person, acceptedOn), acceptedOn);
            var request = new ListExchangesRequest { Condition = Condition.Overdue, CounterpartProvince = "15", PageSize = 500 };
            var list = await SameAsServiceAsync(() => fx.CliAsync("51", "list", "overdue", "--counterpart", "15", "--page-size", "500", "--json"),
                async () => await fx.Ops("51").ListExchangesAsync(request), "the overdue list");
            var entry = list.Entries.Single(e => e.TransferId == accepted.TransferId);
            Assert.NotEmpty(entry.Overdue);
            Assert.All(entry.Overdue, o => Assert.True(DateOnly.Parse(o.DueOn) < TransferDriver.Today));

            var counts = await SameAsServiceAsync(() => fx.CliAsync("51", "counts", "--json"),
                async () => await fx.Ops("51").CountConditionsAsync(new CountConditionsRequest()), "the counts");
            Assert.True(counts.Counts.Single(c => c.Condition == Condition.Overdue).ByCounterpart["15"] >= 1);

            // The table: one row per condition, the overdue one naming the transfer's step and due date.
            var (code, table, _) = await fx.CliAsync("51", "counts");
            Assert.Equal(ExitCodes.Ok, code);
            foreach (var c in counts.Counts) Assert.Contains(c.Condition.ToString(), table);
            (code, table, _) = await fx.CliAsync("51", "list", "overdue", "--counterpart", "15", "--page-size", "500");
            Assert.Equal(ExitCodes.Ok, code);
            Assert.Contains(accepted.TransferId, table);
            Assert.Contains($"{entry.Overdue[0].Step} due {entry.Overdue[0].DueOn}", table);
        }
        finally
        {
            await AllowAsync("15", trigger);
        }
    }

    [Fact]
    public async Task A_dead_letter_reapplied_through_the_cli_completes_the_transfer_once_and_the_audit_lists_both()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var trigger = "refuse_ack_" + Guid.NewGuid().ToString("N")[..8];
        // The origin's database refuses the acknowledgement: the destination's TransferCompleted is dead-lettered at 15.
        await RefuseAsync("15", trigger, person.IdentityNumber, "NEW.state = 'Acknowledged'");
        var accepted = await fx.Driver.SubmitAsync("51", await fx.Driver.IssueCertificateAsync("15", person, TransferDriver.Today), TransferDriver.Today);
        await fx.Driver.WaitForStateAsync("51", accepted.TransferId, Timeout, Proto.TransferState.Completed);
        var dead = await PollAsync(async () =>
        {
            var (code, output, error) = await fx.CliAsync("15", "dead-letters", "--message-type", "TransferCompleted", "--page-size", "500", "--json");
            Assert.True(code == ExitCodes.Ok, error);
            return Parse<ListDeadLettersResponse>(output).DeadLetters.FirstOrDefault(d => d.TransferId == accepted.TransferId);
        }, "the dead-lettered TransferCompleted");
        await AllowAsync("15", trigger);

        var first = await fx.CliAsync("15", "reapply", dead.Id.ToString(), "--reason", "books fixed", "--operator", "ops-a", "--json");
        Assert.True(first.Code == ExitCodes.Ok, first.Err);
        var applied = Parse<ActionResult>(first.Out);
        Assert.Equal("APPLIED", applied.Result);
        var done = await fx.Driver.Client("15").GetTransferAsync(new Proto.GetTransferRequest { TransferId = accepted.TransferId });
        Assert.Equal(Proto.TransferState.Acknowledged, done.State);

        // Again, as a table, with $USER as the operator: no second effect.
        var second = await fx.CliAsync("15", "reapply", dead.Id.ToString(), "--reason", "again");
        Assert.True(second.Code == ExitCodes.Ok, second.Err);
        Assert.Contains("ALREADY_APPLIED", second.Out);
        var after = await fx.Driver.Client("15").GetTransferAsync(new Proto.GetTransferRequest { TransferId = accepted.TransferId });
        Assert.Equal(done.Timeline.Count, after.Timeline.Count);

        var audit = await fx.CliAsync("15", "audit", "--page-size", "500", "--json");
        Assert.Equal(ExitCodes.Ok, audit.Code);
        var trail = Parse<ListAuditTrailResponse>(audit.Out).Entries.Where(e => e.Action == "dead_letter.reapply" && e.Subject == dead.Id.ToString()).ToList();
        Assert.Equal(["ALREADY_APPLIED", "APPLIED"], trail.Select(e => e.Result)); // newest first
        Assert.Equal(["cli-test", "ops-a"], trail.Select(e => e.Operator));
        Assert.Equal(applied.AuditId, trail[1].Id);

        // The story shows the re-applied envelope; a delivered envelope is refused for re-send, with the reason code.
        var storyRun = await fx.CliAsync("15", "story", accepted.TransferId, "--json");
        Assert.Equal(ExitCodes.Ok, storyRun.Code);
        var story = Parse<ExchangeStory>(storyRun.Out);
        Assert.Equal(2, story.OperatorActions.Count);
        var delivered = story.Envelopes.First(e => e.Direction == "sent" && e.Status == MessageStatus.Acknowledged);
        var refused = await fx.CliAsync("15", "resend", delivered.MessageId, "--reason", "r");
        Assert.Equal(ExitCodes.Refused, refused.Code);
        Assert.Contains("FAILED_PRECONDITION", refused.Err);
        Assert.Contains("reason: ENVELOPE_NOT_FAILED", refused.Err);
    }

    [Fact]
    public async Task Refusals_unknown_ids_and_an_unreachable_node_have_their_exit_codes()
    {
        var missingReason = await fx.CliAsync("15", "reapply", "1");
        Assert.Equal(ExitCodes.Usage, missingReason.Code);
        Assert.Contains("--reason", missingReason.Err);

        var unknown = await fx.CliAsync("15", "reapply", "987654321", "--reason", "r");
        Assert.Equal(ExitCodes.Refused, unknown.Code);
        Assert.Contains("NOT_FOUND", unknown.Err);
        unknown = await fx.CliAsync("15", "story", "no-such-transfer");
        Assert.Equal(ExitCodes.Refused, unknown.Code);

        var bad = await fx.CliAsync("15", "list", "held", "--page-size", "501");
        Assert.Equal(ExitCodes.Refused, bad.Code);
        Assert.Contains("INVALID_ARGUMENT", bad.Err);
        Assert.Contains("field page_size", bad.Err);

        var output = new StringWriter();
        Assert.Equal(ExitCodes.Unreachable, await CliApp.RunAsync(["counts", "--node", "http://127.0.0.1:1"], output, output, _ => null));
        Assert.Equal(ExitCodes.Unreachable, await CliApp.RunAsync(["reapply", "1", "--reason", "r", "--node", "http://127.0.0.1:1"], output, output, _ => null));
    }

    [Fact]
    public async Task A_bulk_resend_through_the_cli_shows_progress_and_a_summary_and_the_transfer_completes()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var certificate = await fx.Driver.IssueCertificateAsync("15", person, TransferDriver.Today);
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        var accepted = (await FailLetterToLostInboxAsync(certificate))[0];

        var run = await fx.CliAsync("51", "resend-failed", "--counterpart", "15", "--from", Iso(from), "--to", Iso(DateTimeOffset.UtcNow.AddMinutes(1)),
            "--reason", "node 15 is back");
        Assert.True(run.Code == ExitCodes.Ok, run.Err);
        var summary = Regex.Match(run.Out, @"resend-failed: (\d+) succeeded, 0 already done, 0 failed of (\d+) matched in 1 calls\.");
        Assert.True(summary.Success, run.Out);
        Assert.Equal(summary.Groups[2].Value, summary.Groups[1].Value);
        Assert.True(int.Parse(summary.Groups[1].Value) >= 1, run.Out);
        await fx.Driver.WaitForStateAsync("51", accepted.TransferId, Timeout, Proto.TransferState.Completed);

        // Nothing is left failed in the range: the same bulk matches nothing.
        var again = await fx.CliAsync("51", "resend-failed", "--counterpart", "15", "--from", Iso(from), "--to", Iso(DateTimeOffset.UtcNow.AddMinutes(1)),
            "--reason", "node 15 is back", "--json");
        Assert.Equal(ExitCodes.Ok, again.Code);
        Assert.Equal(0, Parse<BulkActionResult>(again.Out).Matched);
    }

    [Fact]
    public async Task A_paced_resend_job_through_the_cli_waits_for_every_outcome_and_a_cancel_of_an_ended_exchange_is_refused()
    {
        var people = new[] { fx.Driver.PickPerson("15", EnrolmentState.Suspended), fx.Driver.PickPerson("15", EnrolmentState.Suspended) };
        var certificates = new List<Proto.Certificate>();
        foreach (var p in people) certificates.Add(await fx.Driver.IssueCertificateAsync("15", p, TransferDriver.Today));
        var from = DateTimeOffset.UtcNow.AddSeconds(-1);
        var accepted = await FailLetterToLostInboxAsync([.. certificates]);

        var run = await fx.CliAsync("51", "resend-job", "start", "--counterpart", "15", "--from", Iso(from), "--to", Iso(DateTimeOffset.UtcNow.AddSeconds(1)),
            "--per-second", "2", "--wait", "--reason", "node 15 lost its inbox");
        Assert.True(run.Code == ExitCodes.Ok, run.Err);
        var summary = Regex.Match(run.Out, @"job (\d+) DONE: 2 acknowledged, 0 failed again, 0 in flight, of 2 matched");
        Assert.True(summary.Success, run.Out);
        foreach (var t in accepted) await fx.Driver.WaitForStateAsync("51", t.TransferId, Timeout, Proto.TransferState.Completed);

        var shown = await fx.CliAsync("51", "resend-job", "show", summary.Groups[1].Value, "--json");
        Assert.Equal(ExitCodes.Ok, shown.Code);
        var job = Parse<ResendJob>(shown.Out);
        Assert.Equal(("DONE", 2, 2), (job.State, job.Requeued, job.Acknowledged));
        var resume = await fx.CliAsync("51", "resend-job", "resume", summary.Groups[1].Value, "--reason", "again");
        Assert.Equal(ExitCodes.Refused, resume.Code);
        Assert.Contains("RESEND_JOB_DONE", resume.Err);

        var cancel = await fx.CliAsync("51", "cancel", accepted[0].TransferId, "--reason", "too late");
        Assert.Equal(ExitCodes.Refused, cancel.Code);
        Assert.Contains("EXCHANGE_ALREADY_ENDED", cancel.Err);
        var release = await fx.CliAsync("51", "release", accepted[0].TransferId, "--hold-code", "AMOUNT_MISMATCH", "--reason", "not held");
        Assert.Equal(ExitCodes.Refused, release.Code);
        Assert.Contains("TRANSFER_NOT_HELD", release.Err);
        var audit = Parse<ListAuditTrailResponse>((await fx.CliAsync("51", "audit", "--page-size", "20", "--json")).Out);
        Assert.Contains(audit.Entries, e => e.Action == "transfer.cancel" && e.Result == "REFUSED EXCHANGE_ALREADY_ENDED" && e.Operator == "cli-test");
    }

    /// <summary>
    /// Node 15 down: 51's letters use up their budget and fail; then the broker loses 15's inbox and 15 comes back,
    /// so only a re-send from 51's outbox can bring the letters. Returns the destination's transfers.
    /// </summary>
    private async Task<List<Proto.Transfer>> FailLetterToLostInboxAsync(params Proto.Certificate[] certificates)
    {
        var accepted = new List<Proto.Transfer>();
        await fx.Cluster["15"].StopAsync();
        try
        {
            foreach (var c in certificates) accepted.Add(await fx.Driver.SubmitAsync("51", c, TransferDriver.Today));
            await PollAsync(async () =>
            {
                var (code, output, _) = await fx.CliAsync("51", "list", "failed", "--counterpart", "15", "--page-size", "500", "--json");
                Assert.Equal(ExitCodes.Ok, code);
                var failed = Parse<ListExchangesResponse>(output).Entries;
                return accepted.All(a => failed.Any(e => e.TransferId == a.TransferId)) ? failed : null;
            }, "the letters to fail");
            NodeFaults.LoseInbox(fx.Cluster, "15");
        }
        finally
        {
            await fx.Cluster["15"].StartAsync();
        }
        return accepted;
    }
}
