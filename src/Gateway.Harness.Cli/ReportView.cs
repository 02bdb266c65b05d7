using Gateway.Harness.Simulation;
using Spectre.Console;

namespace Gateway.Harness.Cli;

/// <summary>The human-readable side of a run: progress lines, then tables of faults, invariants and figures.</summary>
public sealed class ReportView
{
    private readonly IAnsiConsole _console;

    public ReportView(TextWriter output)
    {
        _console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        // CI captures output without a terminal: give the tables room.
        if (_console.Profile.Width < 140) _console.Profile.Width = 140;
    }

    public void Header(Scenario s)
    {
        _console.MarkupLineInterpolated(
            $"[bold]gateway-harness run[/]  seed [bold]{s.Seed}[/]  provinces {string.Join(",", s.Provinces)}  transfers {s.Transfers}  filings {s.Filings}  enrolments {s.Enrolments}  faults {s.Faults}");
        if (s.Postgres is not null)
            _console.MarkupLine("PostgreSQL: an existing server (--postgres): the run's databases are dropped at the end, PostgresRestart is left out, and its memory is not counted");
    }

    public void Progress(string line) => _console.MarkupLineInterpolated($"[grey]{DateTime.Now:HH:mm:ss}[/] {line}");

    /// <summary>Rehearsal: print where the integrator's system connects, then give it time before the workload starts.</summary>
    public async Task WaitForExternalAsync(GatewayCluster cluster, Scenario s, CancellationToken ct)
    {
        var node = cluster[s.ExternalSystem!];
        var grid = new Table().Border(TableBorder.Rounded).Title("[bold]Rehearsal: connect your province system[/]").AddColumns("", "");
        grid.AddRow("province", node.Province);
        grid.AddRow("node gRPC address (h2c)", node.Address.ToString());
        grid.AddRow("work items", "WorkItemService.ExchangeWorkItems (or SubscribeWorkItems + AnswerWorkItem)");
        grid.AddRow("clerk calls", "TransferService, FilingService, EnrolmentService (the harness also drives them)");
        grid.AddRow("other provinces", string.Join(", ", cluster.Nodes.Keys.Where(p => p != node.Province)) + " (simulated)");
        _console.Write(grid);
        _console.MarkupLineInterpolated($"The workload starts in {s.ExternalWait.TotalSeconds:0} s.");
        await Task.Delay(s.ExternalWait, ct);
    }

    public void Print(SimulationReport r, string jsonPath)
    {
        var faults = new Table().Border(TableBorder.Rounded).Title("[bold]Faults applied[/]").AddColumns("at", "kind", "target", "took", "applied", "detail");
        foreach (var f in r.Faults)
            faults.AddRow($"{f.At:mm\\:ss\\.f}", f.Kind.ToString(), f.Target, $"{f.Took.TotalSeconds:0.0} s", f.Applied ? "[green]yes[/]" : "[yellow]no[/]", Markup.Escape(f.Detail));
        foreach (var n in r.FaultKindsNotApplied) faults.AddRow("-", n.Kind, "-", "-", "[yellow]not applied[/]", Markup.Escape(n.Why));
        _console.Write(faults);

        var invariants = new Table().Border(TableBorder.Rounded).Title("[bold]Invariants[/]").AddColumns("invariant", "result", "checked", "counterexample");
        foreach (var i in r.Invariants)
            invariants.AddRow(i.Name, i.Passed ? "[green]pass[/]" : "[red]FAIL[/]", Markup.Escape(i.Summary), Markup.Escape(i.Counterexample ?? ""));
        _console.Write(invariants);

        var f2 = r.Figures;
        var figures = new Table().Border(TableBorder.Rounded).Title("[bold]Figures[/]").AddColumns("figure", "value");
        figures.AddRow("transfers started / completed / letters returned / withdrawn", $"{f2.TransfersStarted} / {f2.TransfersCompleted} / {f2.LettersReturned} / {f2.Withdrawn}");
        figures.AddRow("transfers held or failed (visible to operators)", f2.HeldOrFailed.ToString());
        figures.AddRow("filings created / lifecycle steps", $"{f2.FilingsCreated} / {f2.FilingSteps}");
        figures.AddRow("enrolment changes / duplicates created", $"{f2.EnrolmentChanges} / {f2.DuplicatesCreated}");
        figures.AddRow("record changes at owners / records synced to other provinces", $"{f2.RecordChangesAtOwners} / {f2.RecordsSynced}");
        figures.AddRow("calls answered OK", f2.CallsAnswered.ToString());
        figures.AddRow("calls failed for good", f2.CallFailures.Count == 0 ? "0" : Markup.Escape(string.Join(", ", f2.CallFailures.Select(kv => $"{kv.Key} ×{kv.Value}"))));
        figures.AddRow("faults applied / survived", $"{f2.FaultsApplied} / {f2.FaultsSurvived}");
        figures.AddRow("dead letters (all nodes)", f2.DeadLetters.ToString());
        figures.AddRow("workload / time to quiescence / total", $"{f2.WorkloadSeconds:0.0} s / {f2.TimeToQuiescenceSeconds:0.0} s / {f2.TotalSeconds:0.0} s");
        figures.AddRow("quiescence", Markup.Escape(f2.QuiescenceDetail));
        figures.AddRow("peak RSS of the cluster (sampled sum) / sum of process peaks", $"{f2.PeakClusterRssMiB:0.0} MiB / {f2.SumOfProcessPeaksMiB:0.0} MiB");
        _console.Write(figures);

        _console.MarkupLineInterpolated($"report: {jsonPath}");
        _console.MarkupLineInterpolated($"replay: {r.Replay}");
        if (r.Passed) _console.MarkupLine("[green]Every invariant held.[/]");
        else _console.MarkupLineInterpolated($"[red]{r.Invariants.Count(i => !i.Passed)} invariant(s) FAILED (seed {r.Seed}).[/]");
    }
}
