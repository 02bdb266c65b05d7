using Gateway.Harness.Simulation;

namespace Gateway.Harness.Tests.Simulation;

/// <summary>The CI gate of issue 13: the short scenario under faults keeps every invariant.</summary>
[Collection(SimulationCollection.Name)]
public sealed class ShortScenarioTests(SimulationFixture fx)
{
    [Fact]
    public void Every_invariant_holds_after_the_short_scenario_under_faults()
    {
        var failed = fx.Report.Invariants.Where(i => !i.Passed).Select(i => $"{i.Name}: {string.Join(" | ", i.Counterexamples)}").ToList();
        Assert.True(failed.Count == 0, $"seed {fx.Report.Seed}: " + string.Join(Environment.NewLine, failed));
        Assert.Equal(8, fx.Report.Invariants.Count);
        Assert.True(fx.Report.Figures.Quiescent, fx.Report.Figures.QuiescenceDetail);
    }

    [Fact]
    public void The_run_did_what_the_gate_asks_for()
    {
        var f = fx.Report.Figures;
        Assert.True(f.TransfersStarted >= 200, $"{f.TransfersStarted} transfers started");
        Assert.True(f.TransfersCompleted >= 100, $"{f.TransfersCompleted} completed");
        Assert.True(f.LettersReturned > 0 && f.Withdrawn > 0, $"{f.LettersReturned} returned, {f.Withdrawn} withdrawn");
        Assert.True(f.FilingsCreated > 0 && f.FilingSteps > 0 && f.RecordsSynced > 0, $"{f.FilingsCreated} filings, {f.FilingSteps} steps, {f.RecordsSynced} synced");
        Assert.True(f.DuplicatesCreated > 0);
        foreach (var kind in new[] { FaultKind.NodeKill, FaultKind.BrokerDown, FaultKind.RedisFlush, FaultKind.DuplicateEnvelopes, FaultKind.ClockMoved })
            Assert.True(fx.Report.Faults.Any(a => a.Kind == kind && a.Applied), $"{kind} not applied: {string.Join("; ", fx.Report.Faults.Where(a => a.Kind == kind).Select(a => a.Detail))}");
        Assert.True(f.PeakClusterRssMiB > 0);
    }

    [Fact]
    public async Task The_nodes_ran_on_the_runs_clock_and_crossed_the_year_end_with_it()
    {
        var moved = Assert.Single(fx.Report.Faults, a => a.Kind == FaultKind.ClockMoved);
        Assert.True(moved.Applied, moved.Detail);
        Assert.Contains("across the year end", moved.Detail);
        var eve = Scenario.DefaultClockStart;
        var clock = fx.Cluster.Clock!;
        foreach (var province in fx.Report.Scenario.Provinces)
        {
            // Idempotency records are stamped by the node's own clock: the run's, never the system's.
            var db = fx.State.Db(province);
            var stamps = await db.QueryAsync("SELECT created_at FROM idempotency_keys", r => r.GetFieldValue<DateTimeOffset>(0));
            Assert.NotEmpty(stamps);
            Assert.All(stamps, t => Assert.InRange(t, eve.AddMinutes(-1), clock.GetUtcNow().AddMinutes(1)));

            // An answer given again now, under a new key, is stamped after the jump: the node process follows the clock.
            var answered = fx.Cluster[province].Simulator!.AnsweredItems.Concat(
                fx.State.RetiredSimulators.Where(r => r.Province == province).SelectMany(r => r.System.AnsweredItems)).Last();
            var key = $"clock-probe-{Guid.NewGuid():N}";
            var reply = await new Gateway.Contracts.Transfer.V1.WorkItemService.WorkItemServiceClient(fx.Cluster[province].Channel)
                .AnswerWorkItemAsync(answered.Answer, new Grpc.Core.Metadata { { "idempotency-key", key } }, DateTime.UtcNow.AddSeconds(30));
            Assert.True(reply.AlreadyAnswered);
            var probe = Assert.Single(await db.QueryAsync("SELECT max(created_at) FROM idempotency_keys", r => r.GetFieldValue<DateTimeOffset>(0)));
            Assert.True(probe >= eve + clock.Moved - TimeSpan.FromMinutes(1), $"probe stamped {probe:O}, the clock moved {clock.Moved} from {eve:O}");
            Assert.Equal(new DateOnly(eve.Year + 1, 1, 1), Gateway.Domain.Calendar.ChinaTime.DateOf(probe));
        }
    }

    [Fact]
    public void The_report_round_trips_as_json_with_seed_scenario_faults_and_invariants()
    {
        var again = SimulationReport.FromJson(fx.Report.ToJson());
        Assert.Equal(fx.Report.Seed, again.Seed);
        Assert.Equal(fx.Report.Scenario.Transfers, again.Scenario.Transfers);
        Assert.Equal(fx.Report.Faults.Select(a => (a.Kind, a.Target)), again.Faults.Select(a => (a.Kind, a.Target)));
        Assert.Equal(fx.Report.Invariants.Select(i => (i.Name, i.Passed)), again.Invariants.Select(i => (i.Name, i.Passed)));
    }
}
