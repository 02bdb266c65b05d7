using System.CommandLine;
using Gateway.Harness.Simulation;
using Microsoft.Extensions.Logging;

namespace Gateway.Harness.Cli;

/// <summary>`gateway-harness run`: builds the scenario from a preset, a file or a report to replay, then the options; runs it; reports.</summary>
public static class RunCommand
{
    public static Command Build(TextWriter output)
    {
        var provinces = new Option<int?>("--provinces") { Description = "Number of provinces, 2..32 (15, 51 and 64 first: their own deadline regimes; then by code)." };
        var provinceList = new Option<string?>("--province-codes") { Description = "The provinces themselves, comma-separated (e.g. 15,51,11)." };
        var seed = new Option<int?>("--seed") { Description = "Seed of the workload and the fault schedule; the same seed replays the same run." };
        var transfers = new Option<int?>("--transfers") { Description = "Transfers to start (default 200)." };
        var filings = new Option<int?>("--filings") { Description = "Care filings to create, each with up to 3 lifecycle steps (default 40)." };
        var enrolments = new Option<int?>("--enrolments") { Description = "Enrolment changes; about half create a duplicate enrolment (default 20)." };
        var concurrency = new Option<int?>("--concurrency") { Description = "Operations at once (default 8)." };
        var rate = new Option<double?>("--rate") { Description = "Operations started per second at most (default: no limit)." };
        var faults = new Option<string?>("--faults") { Description = "random (one of each kind plus extras, from the seed), none, or a JSON file of {at, kind, target, duration}." };
        var scenario = new Option<string?>("--scenario") { Description = "A JSON scenario file (Scenario's properties in camelCase); options given here override it." };
        var replay = new Option<string?>("--replay") { Description = "A report JSON of an earlier run: its scenario and seed again." };
        var longRun = new Option<bool>("--long") { Description = "The long scenario: all 32 provinces, 10,000 transfers, over 100,000 record changes, every fault kind many times." };
        var report = new Option<string?>("--report") { Description = "Where to write the JSON report (default harness-report-<seed>.json)." };
        var quiescence = new Option<int?>("--quiescence-timeout") { Description = "Seconds to wait for the cluster to settle after the workload (default 180)." };
        var redis = new Option<string?>("--redis") { Description = "Use an existing redis-server (host:port) instead of a private one." };
        var postgres = new Option<string?>("--postgres")
        {
            Description = "An existing PostgreSQL server instead of a private one: a connection string of a role that may create databases "
                + "(e.g. \"Host=db;Port=5432;Username=harness\"). The run creates its databases there, drops them at the end, and leaves PostgresRestart out.",
        };
        var external = new Option<string?>("--external-system") { Description = "A province whose node runs without the simulator: connect your own province system to the address printed." };
        var externalWait = new Option<int?>("--external-wait") { Description = "With --external-system: seconds to wait for your system before the workload starts (default 60)." };
        var verbose = new Option<bool>("--verbose") { Description = "Log what the harness does (faults, retries) to stderr." };
        var command = new Command("run", $"""
            Run a scenario: start the cluster, drive the workload under the fault schedule, wait for quiescence, check every
            invariant, print the report and write it as JSON. {ExitCodes.Help}
            """)
        {
            provinces, provinceList, seed, transfers, filings, enrolments, concurrency, rate, faults, scenario, replay, longRun, report,
            quiescence, redis, postgres, external, externalWait, verbose,
        };
        command.SetAction(async (p, ct) =>
        {
            var s = p.GetValue(replay) is { } replayed ? SimulationReport.FromJson(await File.ReadAllTextAsync(replayed, ct)).Scenario
                : p.GetValue(scenario) is { } file ? Load(file)
                : p.GetValue(longRun) ? Scenario.Long() : Scenario.Short();
            if (p.GetValue(provinces) is { } n)
            {
                if (n is < 2 or > 32) throw new UsageException("--provinces: 2..32");
                s = s with { Provinces = HarnessApp.FirstProvinces(n) };
            }
            if (p.GetValue(provinceList) is { } list) s = s with { Provinces = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
            if (p.GetValue(seed) is { } sd) s = s with { Seed = sd };
            if (p.GetValue(transfers) is { } t) s = s with { Transfers = t };
            if (p.GetValue(filings) is { } f) s = s with { Filings = f };
            if (p.GetValue(enrolments) is { } e) s = s with { Enrolments = e };
            if (p.GetValue(concurrency) is { } c) s = s with { Concurrency = c };
            if (p.GetValue(rate) is { } r) s = s with { Rate = r };
            if (p.GetValue(quiescence) is { } q) s = s with { QuiescenceTimeout = TimeSpan.FromSeconds(q) };
            if (p.GetValue(redis) is { } rd) s = s with { Redis = rd };
            if (p.GetValue(postgres) is { } pg) s = s with { Postgres = pg };
            if (p.GetValue(external) is { } x) s = s with { ExternalSystem = x };
            if (p.GetValue(externalWait) is { } w) s = s with { ExternalWait = TimeSpan.FromSeconds(w) };
            if (p.GetValue(faults) is { } fl)
                s = fl switch
                {
                    "random" => s with { Faults = "random", ScriptedFaults = [] },
                    "none" => s with { Faults = "none", ScriptedFaults = [] },
                    _ => s with { Faults = "scripted", ScriptedFaults = LoadFaults(fl) },
                };
            if (s.Problems() is { Count: > 0 } problems) throw new UsageException(string.Join(Environment.NewLine, problems));
            // Without a redis-server the nodes fall back to the in-memory fast path and the Redis faults cannot be applied:
            // refuse rather than report a run that skipped them.
            if (s.Redis is null && !Gateway.LocalServers.RedisServer.IsAvailable()
                && FaultSchedule.KindsOf(s).Where(k => k is FaultKind.RedisFlush or FaultKind.RedisRestart).ToList() is [var redisFault, ..])
                throw new InvalidOperationException($"redis-server is not installed, so {redisFault} cannot be applied: run deploy/install-prerequisites.sh, "
                    + "pass --redis host:port, or give a fault list without RedisFlush and RedisRestart");

            using var loggers = LoggerFactory.Create(b =>
            {
                b.SetMinimumLevel(p.GetValue(verbose) ? LogLevel.Information : LogLevel.Error);
                b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
                if (!p.GetValue(verbose)) b.AddFilter("Gateway.ProvinceSimulator", LogLevel.None); // its retries under faults are expected
            });
            var view = new ReportView(output);
            view.Header(s);
            var result = await Gateway.Harness.Simulation.Simulation.RunAsync(s, loggers, view.Progress,
                s.ExternalSystem is null ? null : cluster => view.WaitForExternalAsync(cluster, s, ct), ct);
            var path = p.GetValue(report) ?? $"harness-report-{s.Seed}.json";
            await File.WriteAllTextAsync(path, result.ToJson(), ct);
            view.Print(result, path);
            return result.Passed ? ExitCodes.Passed : ExitCodes.InvariantFailed;
        });
        return command;
    }

    private static Scenario Load(string file)
    {
        try { return Scenario.Load(file); }
        catch (Exception ex) when (ex is IOException or System.Text.Json.JsonException or FormatException or UnauthorizedAccessException)
        {
            throw new UsageException($"--scenario {file}: {ex.Message}");
        }
    }

    private static IReadOnlyList<FaultSpec> LoadFaults(string file)
    {
        try { return Scenario.LoadFaults(file); }
        catch (Exception ex) when (ex is IOException or System.Text.Json.JsonException or FormatException or UnauthorizedAccessException)
        {
            throw new UsageException($"--faults {file}: {ex.Message}");
        }
    }
}
