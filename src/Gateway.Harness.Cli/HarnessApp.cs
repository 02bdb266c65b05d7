using System.CommandLine;
using Gateway.Harness.Simulation;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Gateway.Harness.Cli;

/// <summary>Exit codes of gateway-harness.</summary>
public static class ExitCodes
{
    public const int Passed = 0;
    public const int InvariantFailed = 1;
    public const int Usage = 2;
    /// <summary>The run could not be carried out (a server would not start, the run was cancelled).</summary>
    public const int CouldNotRun = 3;

    public const string Help = "Exit codes: 0 every invariant held; 1 an invariant failed (see the report); 2 bad usage; 3 the run could not be carried out.";
}

/// <summary>Bad options: printed, exit 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The `gateway-harness` command line. `run` is the simulation; other subcommands (bad-input) hang off the same root.</summary>
public static class HarnessApp
{
    /// <summary>Provinces taken by --provinces N: the three with their own transfer regimes first, then the rest in code order.</summary>
    public static IReadOnlyList<string> FirstProvinces(int n) =>
        new[] { "15", "51", "64" }.Concat(Gateway.Domain.Values.ProvinceCode.All.Select(p => p.Value)).Distinct().Take(n).ToList();

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken ct = default)
    {
        var root = BuildRoot(output);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) await error.WriteLineAsync(e.Message);
            await error.WriteLineAsync("Run 'gateway-harness --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, ct);
        }
        catch (UsageException usage)
        {
            await error.WriteLineAsync(usage.Message);
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("cancelled");
            return ExitCodes.CouldNotRun;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException or Npgsql.NpgsqlException)
        {
            await error.WriteLineAsync($"the run could not be carried out: {ex.Message}");
            return ExitCodes.CouldNotRun;
        }
    }

    public static RootCommand BuildRoot(TextWriter output)
    {
        var root = new RootCommand($"""
            The exchange harness: N province nodes (each a real process with its simulated province system) on the embedded
            broker, a private PostgreSQL and redis-server; a seeded workload under a schedule of faults; every invariant
            checked at the end; a report (docs/harness.md).

            {ExitCodes.Help}
            """);
        root.Subcommands.Add(RunCommand.Build(output));
        root.Subcommands.Add(BadInputCommand.Build(output));
        return root;
    }
}
