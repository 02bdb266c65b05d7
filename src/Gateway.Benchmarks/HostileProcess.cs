using System.Diagnostics;
using Gateway.Harness;
using Spectre.Console;

namespace Gateway.Benchmarks;

/// <summary>The hostile calls against a node in its own process: its resident memory idle, at the peak, and after settling.</summary>
public sealed record HostileProcessResult(long IdleRssBytes, long PeakRssBytes, long SettledRssBytes, TimeSpan Settle, HostileResult Calls);

/// <summary>
/// The same hostile calls against node 51 started as a child process (`dotnet Gateway.Node.dll`, the node's own
/// runtimeconfig: server GC), which is how a deployed node runs and where ~800 MB per node was once seen. This
/// process cannot force a GC in the child, so the figures are its resident set (VmRSS) before, at the peak (sampled
/// every 20 ms), and after a settle time. DOTNET_ variables set for the benchmark are inherited by the child.
/// </summary>
public static class HostileProcess
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    public static async Task<HostileProcessResult> RunAsync(BenchmarkSettings settings, string first, string second, CancellationToken ct)
    {
        await using var cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = [first, second],
            UseRedis = settings.UseRedis,
            NodesAsProcesses = true,
            StartSimulators = false, // the calls are refused before any work item could exist
            PeoplePerProvince = 60,
        }, ct: ct);
        var pid = cluster[second].ProcessId ?? throw new InvalidOperationException("The node did not start as a process.");
        using var node = Process.GetProcessById(pid);
        await Task.Delay(TimeSpan.FromSeconds(2), ct); // start-up allocations settle
        var idle = Rss(node);

        var peak = idle;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, Rss(node));
                try { await Task.Delay(20, stop.Token); } catch (OperationCanceledException) { return; }
            }
        }, CancellationToken.None);
        var calls = await new HostileCalls(cluster, settings, second, TransferDriver.Today).RunAsync(ct);
        await Task.Delay(Settle, ct);
        await stop.CancelAsync();
        await sampler;
        var settled = Rss(node);
        AnsiConsole.MarkupLineInterpolated($"  node process {pid}: {Format.Bytes(idle)} idle → peak {Format.Bytes(peak)} → {Format.Bytes(settled)} {Settle.TotalSeconds:0} s later");
        return new HostileProcessResult(idle, Math.Max(peak, settled), settled, Settle, calls);
    }

    private static long Rss(Process process)
    {
        process.Refresh();
        return process.WorkingSet64;
    }
}
