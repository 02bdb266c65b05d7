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
        foreach (var kind in new[] { FaultKind.NodeKill, FaultKind.BrokerDown, FaultKind.RedisFlush, FaultKind.DuplicateEnvelopes })
            Assert.True(fx.Report.Faults.Any(a => a.Kind == kind && a.Applied), $"{kind} not applied: {string.Join("; ", fx.Report.Faults.Where(a => a.Kind == kind).Select(a => a.Detail))}");
        Assert.True(f.PeakClusterRssMiB > 0);
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
