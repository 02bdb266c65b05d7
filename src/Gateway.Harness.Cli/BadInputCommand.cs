using System.CommandLine;
using Gateway.Harness.BadInput;
using Spectre.Console;

namespace Gateway.Harness.Cli;

/// <summary>
/// `gateway-harness bad-input`: two province nodes (a third listed in the directory only, to sign trust-rule forgeries)
/// and the generated hostile run against every mutating call and the inbox topics (docs/harness.md, "Bad-input run").
/// </summary>
public static class BadInputCommand
{
    public static Command Build(TextWriter output)
    {
        var requests = new Option<int>("--requests") { Description = "Generated gRPC requests, spread over every mutating call (default 10000).", DefaultValueFactory = _ => 10_000 };
        var envelopes = new Option<int>("--envelopes") { Description = "Garbage, forged and replayed envelopes on the inbox topics (default 1000).", DefaultValueFactory = _ => 1_000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the generated inputs (default 20261122).", DefaultValueFactory = _ => 20261122 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once (default 4).", DefaultValueFactory = _ => 4 };
        var processes = new Option<bool>("--processes") { Description = "Run each node as its own process (a crash then shows as an exited process)." };
        var report = new Option<string?>("--report") { Description = "Write the report as JSON to this file." };
        var command = new Command("bad-input", """
            Send generated malformed and hostile requests to every mutating call, and garbage, forged and replayed envelopes to
            the inbox topics. Passes when every answer is a clear refusal (never INTERNAL or UNKNOWN), every envelope is
            dead-lettered with a reason or deduplicated, no node crashed and no business table changed.
            Exit 0: passed; 1: a violation (listed); 2: bad usage; 3: could not run.
            """) { requests, envelopes, seed, concurrency, processes, report };
        command.Validators.Add(r =>
        {
            if (r.GetValue(requests) is < 1 or > 1_000_000) r.AddError("--requests must be between 1 and 1000000");
            if (r.GetValue(envelopes) is < 0 or > 100_000) r.AddError("--envelopes must be between 0 and 100000");
            if (r.GetValue(concurrency) is < 1 or > 64) r.AddError("--concurrency must be between 1 and 64");
        });
        command.SetAction(async (p, ct) =>
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
            console.MarkupLine("[grey]starting two nodes (15, 51; 44 in the directory only), PostgreSQL, redis-server and the embedded broker…[/]");
            await using var cluster = await GatewayCluster.StartAsync(new ClusterOptions
            {
                Provinces = ["15", "51"], PeoplePerProvince = 20, DirectoryOnlyProvinces = ["44"], NodesAsProcesses = p.GetValue(processes),
                NodeLogLevel = "Error",
            }, ct: ct);
            var last = "";
            var progress = new Progress<BadInputProgress>(x =>
            {
                if (x.Phase == last && x.Done % 1_000 != 0) return;
                last = x.Phase;
                console.MarkupLine($"[grey]{Markup.Escape(x.Phase)}: {x.Done}/{x.Total}, {x.Violations} violation(s)[/]");
            });
            var result = await BadInputRun.RunAsync(cluster, new BadInputOptions
            {
                Requests = p.GetValue(requests), Envelopes = p.GetValue(envelopes), Seed = p.GetValue(seed), Concurrency = p.GetValue(concurrency),
            }, progress, ct);
            await output.WriteAsync(result.ToText());
            if (p.GetValue(report) is { } path)
            {
                await File.WriteAllTextAsync(path, result.ToJson(), ct);
                await output.WriteLineAsync($"report: {path}");
            }
            return result.Passed ? ExitCodes.Passed : ExitCodes.InvariantFailed;
        });
        return command;
    }
}
