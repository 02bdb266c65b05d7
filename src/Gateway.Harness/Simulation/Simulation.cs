using System.Diagnostics;
using System.Globalization;
using Gateway.Domain.Values;
using Gateway.Harness.Simulation.Invariants;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Harness.Simulation;

/// <summary>
/// One harness run: start the cluster (every node a process), plan the workload and the faults from one
/// <see cref="Random"/>(seed), run both, wait for quiescence, check every invariant, report.
/// </summary>
public static class Simulation
{
    /// <summary>The cluster a scenario runs on: nodes as processes (so they can be killed), fast re-sends, a big budget.</summary>
    public static ClusterOptions ClusterOptionsFor(Scenario scenario) => new()
    {
        Provinces = scenario.Provinces,
        NodesAsProcesses = true,
        PeoplePerProvince = scenario.PeoplePerProvince,
        Seed = scenario.Seed,
        BrokerCount = scenario.Brokers,
        RedisEndpoint = scenario.Redis,
        PostgresConnectionString = scenario.Postgres,
        ExternalSystems = scenario.ExternalSystem is { } external ? [external] : [],
        // A listed member run by no node: the stranger whose forged envelopes verify and meet the trust rules.
        DirectoryOnlyProvinces = ProvinceCode.All.Select(p => p.Value).Where(p => !scenario.Provinces.Contains(p)).Take(1).ToList(),
        NodeLogLevel = "Error",
        ClockStart = scenario.RunClockStart,
        NodeSettings = new Dictionary<string, string>
        {
            ["Gateway:ResendFirstDelay"] = scenario.ResendFirstDelay.ToString("c", CultureInfo.InvariantCulture),
            ["Gateway:ResendMaxDelay"] = scenario.ResendMaxDelay.ToString("c", CultureInfo.InvariantCulture),
            ["Gateway:ResendBudget"] = "200",
            ["Gateway:OutboxPollInterval"] = "00:00:00.250",
        },
    };

    /// <summary>Starts a cluster for the scenario, runs it and stops everything again.</summary>
    public static async Task<SimulationReport> RunAsync(Scenario scenario, ILoggerFactory? loggers = null, Action<string>? progress = null,
        Func<GatewayCluster, Task>? beforeWorkload = null, CancellationToken ct = default)
    {
        loggers ??= NullLoggerFactory.Instance;
        progress?.Invoke($"starting {scenario.Provinces.Count} nodes, the embedded broker, PostgreSQL and Redis");
        await using var cluster = await GatewayCluster.StartAsync(ClusterOptionsFor(scenario), loggers, ct);
        if (beforeWorkload is not null) await beforeWorkload(cluster);
        var (_, report) = await RunOnAsync(cluster, scenario, loggers, progress, ct);
        return report;
    }

    /// <summary>Runs the scenario on a cluster already started with <see cref="ClusterOptionsFor"/>; the cluster stays up (tests break it afterwards).</summary>
    public static async Task<(SimulationState State, SimulationReport Report)> RunOnAsync(GatewayCluster cluster, Scenario scenario,
        ILoggerFactory? loggers = null, Action<string>? progress = null, CancellationToken ct = default)
    {
        loggers ??= NullLoggerFactory.Instance;
        var log = loggers.CreateLogger("Gateway.Harness.Simulation");
        var total = Stopwatch.StartNew();
        var startedAt = DateTimeOffset.UtcNow;
        var random = new Random(scenario.Seed);
        var state = new SimulationState(cluster, scenario);
        var workload = new Workload(state, random, log);
        var schedule = FaultSchedule.For(scenario, random);
        state.RecordInitialBalances();
        var memory = new ClusterMemory(cluster);
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sampler = Task.Run(() => memory.SampleUntilAsync(sampling.Token), CancellationToken.None);

        progress?.Invoke($"workload: {workload.Operations} operations ({scenario.Transfers} transfers, {scenario.Filings} filings, {scenario.Enrolments} enrolment changes); {schedule.Count} faults");
        var start = DateTime.UtcNow;
        var work = workload.RunAsync(ct);
        var workloadSeconds = 0.0;
        _ = work.ContinueWith(_ => workloadSeconds = (DateTime.UtcNow - start).TotalSeconds, TaskScheduler.Default);
        var faults = new FaultInjector(state, random, log).RunAsync(schedule, start, ct);
        using (var ticker = new PeriodicTimer(TimeSpan.FromSeconds(10)))
        {
            var both = Task.WhenAll(work, faults);
            while (!both.IsCompleted)
            {
                if (await Task.WhenAny(both, ticker.WaitForNextTickAsync(ct).AsTask()) == both) break;
                progress?.Invoke($"{(DateTime.UtcNow - start).TotalSeconds:0} s: {workload.Finished}/{workload.Operations} operations done, {state.Faults.Count}/{schedule.Count} faults applied");
            }
            await work;
            await faults;
            if (workloadSeconds == 0) workloadSeconds = (DateTime.UtcNow - start).TotalSeconds;
            progress?.Invoke($"workload done in {workloadSeconds:0} s, faults done in {(DateTime.UtcNow - start).TotalSeconds:0} s; waiting for quiescence");
            // Any node a fault left down comes back before the wait (a fault that threw may have left it stopped).
            foreach (var node in cluster.Nodes.Values.Where(n => !n.IsRunning)) await node.StartAsync(ct);
            var quiet = await Quiescence.WaitAsync(state, log, ct);
            progress?.Invoke($"{(quiet.Quiet ? "quiet" : "NOT quiet")} after {quiet.Took.TotalSeconds:0} s; checking invariants");
            var lines = await CheckAsync(state, progress: progress, ct: ct);
            memory.Sample();
            await sampling.CancelAsync();
            await sampler;
            var figures = await FiguresAsync(state, workloadSeconds, quiet, memory, total.Elapsed, lines.All(l => l.Passed));
            var report = new SimulationReport(scenario.Seed, scenario, startedAt, state.Faults.ToList(),
                FaultsNotApplied.Kinds.Select(k => new FaultNotApplied(k.Kind, k.Why)).ToList(), lines, figures,
                $"gateway-harness run --replay <this report.json>   (or the same options with --seed {scenario.Seed})");
            return (state, report);
        }
    }

    /// <summary>Checks every invariant (or those given); an invariant that throws fails with the exception as its counterexample.</summary>
    /// <param name="progress">Told each verdict as it comes: on 32 nodes the checks take many minutes.</param>
    public static async Task<List<InvariantLine>> CheckAsync(SimulationState state, IEnumerable<IInvariant>? invariants = null,
        Action<string>? progress = null, CancellationToken ct = default)
    {
        var lines = new List<InvariantLine>();
        foreach (var invariant in invariants ?? AllInvariants.Create())
        {
            var took = Stopwatch.StartNew();
            InvariantResult result;
            try { result = await invariant.CheckAsync(state, ct); }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                result = new InvariantResult(false, $"the check itself failed: {ex.GetType().Name}: {ex.Message}", "not checked", []);
            }
            lines.Add(new InvariantLine(invariant.Name, invariant.Description, result.Passed, result.Counterexample, result.Counterexamples, result.Summary));
            progress?.Invoke($"{invariant.Name}: {(result.Passed ? "pass" : "FAIL")} in {took.Elapsed.TotalSeconds:0} s");
        }
        return lines;
    }

    private static async Task<SimulationFigures> FiguresAsync(SimulationState state, double workloadSeconds, QuiescenceResult quiet,
        ClusterMemory memory, TimeSpan total, bool passed)
    {
        int completed = 0, returned = 0, withdrawn = 0, held = 0;
        long atOwners = 0, synced = 0, dead = 0;
        foreach (var node in state.Nodes)
        {
            var db = state.Db(node.Province);
            foreach (var (st, visible) in await db.QueryAsync("SELECT state, hold_reason IS NOT NULL OR exchange_failed FROM transfers WHERE role = 'Destination'",
                         r => (r.GetString(0), r.GetBoolean(1))))
            {
                if (st == "Completed") completed++;
                else if (st == "LetterReturned") returned++;
                else if (st == "Withdrawn") withdrawn++;
                if (visible) held++;
            }
            atOwners += await db.CountAsync("SELECT count(*) FROM record_changes WHERE owner_province = @p", ("p", node.Province));
            synced += await db.CountAsync("SELECT count(*) FROM record_changes WHERE owner_province <> @p", ("p", node.Province));
            dead += await db.CountAsync("SELECT count(*) FROM dead_letters");
        }
        var applied = state.Faults.Count(f => f.Applied);
        return new SimulationFigures(
            TransfersStarted: state.Transfers.Count(t => t.TransferId is not null), completed, returned, withdrawn, held,
            FilingsCreated: state.Filings.Count(f => f.Version > 0), FilingSteps: state.Filings.Sum(f => Math.Max(0, f.Steps.Count - 1)),
            EnrolmentChanges: state.Enrolments.Count, DuplicatesCreated: state.Duplicates.Count,
            RecordChangesAtOwners: atOwners, RecordsSynced: synced, CallsAnswered: state.Answered.Count,
            CallFailures: state.CallFailures.ToDictionary(k => k.Key, k => k.Value),
            FaultsApplied: applied, FaultsSurvived: passed ? applied : 0, DeadLetters: dead,
            WorkloadSeconds: Math.Round(workloadSeconds, 1), TimeToQuiescenceSeconds: Math.Round(quiet.Took.TotalSeconds, 1), quiet.Quiet, quiet.Detail,
            PeakClusterRssMiB: Math.Round(memory.PeakSumOfRssKb / 1024.0, 1), SumOfProcessPeaksMiB: Math.Round(memory.SumOfPeaksKb() / 1024.0, 1),
            TotalSeconds: Math.Round(total.TotalSeconds, 1));
    }
}
