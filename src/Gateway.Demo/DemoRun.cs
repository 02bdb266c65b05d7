using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Spectre.Console;

namespace Gateway.Demo;

/// <summary>
/// Starts a three-province cluster, runs a handful of transfers between the first two, then shows record sync: care
/// filings delivered to their province of care only, and a duplicate enrolment found across two provinces.
/// Prints timelines, tables and a summary; the exit code says whether every check held.
/// </summary>
public sealed partial class DemoRun(string origin, string destination, bool useRedis)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The third node: a province of care that takes filings to the province only (seed 004 附表13 温馨提示 3).</summary>
    public const string ProvinceOnly = "11";

    public async Task<int> RunAsync(CancellationToken ct)
    {
        // Logs and CI capture output without a terminal: give tables room instead of 80 columns.
        if (AnsiConsole.Profile.Width < 140) AnsiConsole.Profile.Width = 140;
        AnsiConsole.MarkupLineInterpolated($"[bold]Interprovincial exchange gateway demo: transfers {origin} ↔ {destination}, record sync across {origin}, {destination} and {ProvinceOnly}[/]");
        GatewayCluster? cluster = null;
        try
        {
            await AnsiConsole.Status().StartAsync("Starting the embedded broker, PostgreSQL, Redis and three nodes...", async _ =>
            {
                cluster = await GatewayCluster.StartAsync(new ClusterOptions { Provinces = [origin, destination, ProvinceOnly], UseRedis = useRedis, Tls = true }, ct: ct);
            });
            PrintEnvironment(cluster!);
            StartTraceCapture();
            var results = await RunScenariosAsync(cluster!, ct);
            foreach (var r in results) PrintTransfer(r);
            await PrintTraceAsync(results, ct);
            var checks = await RunRecordSyncAsync(cluster!, ct);
            var transfersOk = PrintSummary(cluster!, results);
            var syncOk = PrintRecordSyncSummary(checks);
            AnsiConsole.MarkupLine(transfersOk && syncOk
                ? "[green]Demo finished: every transfer reached its terminal state on both nodes, every filing landed only where it should, the duplicate enrolment was found.[/]"
                : "[red]Demo finished with a broken invariant (see the summaries above).[/]");
            return transfersOk && syncOk ? 0 : 2;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Demo failed:[/] {ex.Message}");
            return 1;
        }
        finally
        {
            if (cluster is not null)
                await AnsiConsole.Status().StartAsync("Stopping nodes and servers...", async _ => await cluster.DisposeAsync());
        }
    }

    private static void PrintEnvironment(GatewayCluster cluster)
    {
        var grid = new Table().Border(TableBorder.Rounded).AddColumns("component", "where");
        grid.AddRow("Kafka-protocol broker (embedded)", cluster.Broker.BootstrapServers);
        grid.AddRow("PostgreSQL (private)", $"127.0.0.1:{cluster.Postgres.Port}");
        grid.AddRow("Idempotency fast path", cluster.Redis is not null ? $"redis-server 127.0.0.1:{cluster.Redis.Port}" : "[yellow]in-memory[/]");
        foreach (var node in cluster.Nodes.Values)
            grid.AddRow($"node {node.Province} (gRPC)", node.Address.ToString());
        grid.AddRow("Transport", cluster.Tls is not null
            ? "mutual TLS: a private CA generated for this run; each province system calls with its own certificate (docs/security.md)"
            : "[yellow]plaintext h2c on loopback[/]");
        grid.AddRow("Kafka", "embedded broker: PLAINTEXT on loopback (a real cluster: SASL_SSL, docs/security.md)");
        grid.AddRow("Envelope signatures", $"on: {cluster.Options.SignatureAlgorithm}, keys generated for this run (docs/security.md)");
        AnsiConsole.Write(grid);
        if (cluster.RedisFallbackNote is not null) AnsiConsole.MarkupLineInterpolated($"[yellow]{cluster.RedisFallbackNote}[/]");
    }

    private sealed record Outcome(string Scenario, Transfer Destination, Transfer Origin, long BalanceBefore, long CreditedAfter);

    private async Task<List<Outcome>> RunScenariosAsync(GatewayCluster cluster, CancellationToken ct)
    {
        var driver = new TransferDriver(cluster);
        var today = TransferDriver.Today;
        var results = new List<Outcome>();

        async Task Transfer(string scenario, string from, string to, EnrolmentState status)
        {
            var person = driver.PickPerson(from, status);
            var (d, o) = await driver.RunAsync(from, to, person, today, StepTimeout, ct);
            var credited = d.State == TransferState.Completed ? cluster[to].Registry.BalanceOf(person.IdentityNumber) : 0;
            results.Add(new Outcome(scenario, d, o, person.BalanceFen, credited));
        }

        await AnsiConsole.Status().StartAsync("Running transfers...", async ctx =>
        {
            ctx.Status($"Transfer {origin} → {destination} (person suspended at origin)");
            await Transfer($"completes {origin}→{destination}", origin, destination, EnrolmentState.Suspended);
            ctx.Status($"Transfer {destination} → {origin}");
            await Transfer($"completes {destination}→{origin}", destination, origin, EnrolmentState.Suspended);
            ctx.Status("Transfer with a returned letter (person still active at origin)");
            await Transfer("letter returned (not suspended)", origin, destination, EnrolmentState.Active);
            ctx.Status("Transfer withdrawn before the origin acts");
            results.Add(await WithdrawalAsync(cluster, driver, today, ct));
        });
        return results;
    }

    private async Task<Outcome> WithdrawalAsync(GatewayCluster cluster, TransferDriver driver, DateOnly today, CancellationToken ct)
    {
        var simulator = cluster[origin].Simulator!;
        var person = driver.PickPerson(origin, EnrolmentState.Suspended);
        simulator.Pause(); // the origin's clerks have not looked at the letter yet
        try
        {
            var certificate = await driver.IssueCertificateAsync(origin, person, today, ct);
            var accepted = await driver.SubmitAsync(destination, certificate, today, ct);
            await driver.WaitForStateAsync(origin, accepted.TransferId, StepTimeout, TransferState.LetterSent);
            await driver.Client(destination).WithdrawTransferAsync(
                new WithdrawTransferRequest { TransferId = accepted.TransferId, Reason = "the person decided to stay" },
                TransferDriver.Key(), cancellationToken: ct);
            var d = await driver.WaitForStateAsync(destination, accepted.TransferId, StepTimeout, TransferState.Withdrawn);
            var o = await driver.WaitForStateAsync(origin, accepted.TransferId, StepTimeout, TransferState.Withdrawn);
            return new Outcome("withdrawn before the origin acted", d, o, person.BalanceFen, 0);
        }
        finally
        {
            simulator.Resume();
        }
    }

    private bool PrintSummary(GatewayCluster cluster, List<Outcome> results)
    {
        var summary = new Table().Border(TableBorder.Rounded).Title("[bold]Summary[/]")
            .AddColumns("scenario", $"destination", $"origin", "balance sent (fen)", "credited (fen)", "money conserved");
        var allGood = true;
        foreach (var r in results)
        {
            var completed = r.Destination.State == TransferState.Completed;
            var conserved = completed
                ? r.Destination.CreditedAmountFen == r.Origin.TransferredAmountFen && r.Destination.CreditedAmountFen == r.BalanceBefore
                : r.Destination.CreditedAmountFen == 0;
            allGood &= conserved;
            summary.AddRow(r.Scenario, r.Destination.State.ToString(), r.Origin.State.ToString(),
                completed ? r.Origin.TransferredAmountFen.ToString("N0") : "-", completed ? r.Destination.CreditedAmountFen.ToString("N0") : "-",
                conserved ? "[green]yes[/]" : "[red]NO[/]");
        }
        AnsiConsole.Write(summary);
        var total = cluster.Nodes.Values.Sum(n => n.Registry.TotalBalance());
        AnsiConsole.MarkupLineInterpolated($"Personal-account balances across the three provinces: {total:N0} fen (debits at origins equal credits at destinations).");
        return allGood;
    }

    private static void PrintTransfer(Outcome r)
    {
        var d = r.Destination;
        AnsiConsole.Write(new Rule($"[bold]{Markup.Escape(r.Scenario)}[/]  {d.TransferId}").LeftJustified());
        AnsiConsole.MarkupLineInterpolated($"person {Mask(d.Person?.Certno)}  origin {d.OriginProvince} → destination {d.DestinationProvince}  final: destination {d.State}, origin {r.Origin.State}");
        if (d.State == TransferState.Completed)
        {
            var amount = new Gateway.Domain.Values.Money(d.CreditedAmountFen);
            AnsiConsole.MarkupLineInterpolated($"balance transferred: {amount} yuan ({amount.ToChineseCapitals()}) = {d.CreditedAmountFen:N0} fen");
        }
        if (!string.IsNullOrEmpty(d.ReturnReasonCode))
            AnsiConsole.MarkupLineInterpolated($"[yellow]returned: {d.ReturnReasonCode}: {d.ReturnReason}[/]");

        var timeline = new Table().Border(TableBorder.Simple).AddColumns("side", "date", "event", "detail");
        foreach (var e in d.Timeline) timeline.AddRow("destination", e.On, e.Event, Markup.Escape(e.Detail));
        foreach (var e in r.Origin.Timeline) timeline.AddRow("origin", e.On, e.Event, Markup.Escape(e.Detail));
        AnsiConsole.Write(timeline);

        var deadlines = new Table().Border(TableBorder.Simple).AddColumns("step", "due", "working days", "governing province", "status", "calendar");
        foreach (var s in d.Deadlines.Concat(r.Origin.Deadlines).GroupBy(s => s.Step).Select(g => g.First()))
            deadlines.AddRow(s.Step, s.DueOn, s.WorkingDays.ToString(), s.GoverningProvince,
                s.Met ? "[green]met[/]" : s.Overdue ? "[red]overdue[/]" : Closed(d) ? "not reached" : "open", Markup.Escape(s.Calendar));
        AnsiConsole.Write(deadlines);
    }

    private static bool Closed(Transfer d) => d.State is TransferState.Withdrawn or TransferState.LetterReturned;

    internal static string Mask(string? certno) =>
        string.IsNullOrEmpty(certno) ? "(none)" : new Gateway.Domain.Values.IdentityNumber(Gateway.Domain.Values.CertificateDocumentType.ResidentIdentityCard, certno).ToMaskedString();
}
