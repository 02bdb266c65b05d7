namespace Gateway.Harness.Simulation;

/// <summary>
/// Resident memory of every process of the cluster: this process (the embedded broker and the simulators live here),
/// each node process, the PostgreSQL server with its backends, and redis-server. Sampled during the run; the peak of the
/// sum is reported, with the sum of each living process's own peak (VmHWM) at the end.
/// </summary>
public sealed class ClusterMemory(GatewayCluster cluster)
{
    private long _peakSumKb;

    public long PeakSumOfRssKb => Interlocked.Read(ref _peakSumKb);

    public async Task SampleUntilAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Sample();
            try { await Task.Delay(TimeSpan.FromSeconds(2), ct); } catch (OperationCanceledException) { break; }
        }
    }

    public void Sample()
    {
        var sum = Pids().Sum(pid => Read(pid, "VmRSS:"));
        long seen;
        while (sum > (seen = Interlocked.Read(ref _peakSumKb)) && Interlocked.CompareExchange(ref _peakSumKb, sum, seen) != seen) { }
    }

    /// <summary>Sum of VmHWM (each process's own peak) over the cluster's processes alive now.</summary>
    public long SumOfPeaksKb() => Pids().Sum(pid => Read(pid, "VmHWM:"));

    private IEnumerable<int> Pids()
    {
        var pids = new HashSet<int> { Environment.ProcessId };
        foreach (var node in cluster.Nodes.Values) if (node.ProcessId is { } p) pids.Add(p);
        var postmaster = PostmasterPid();
        var redisPort = cluster.Redis?.Port.ToString();
        foreach (var dir in SafeDirectories())
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            if (postmaster is { } pm && (pid == pm || ParentOf(pid) == pm)) pids.Add(pid);
            else if (redisPort is not null && CommandLine(pid) is { } cmd && cmd.Contains("redis-server") && cmd.Contains(redisPort)) pids.Add(pid);
        }
        return pids;
    }

    // An existing server is not the cluster's: its processes are not counted.
    private int? PostmasterPid()
    {
        if (cluster.Databases.Private is null) return null;
        try
        {
            var first = File.ReadLines(Path.Combine(cluster.Postgres.DataDirectory, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, out var pid) ? pid : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static IEnumerable<string> SafeDirectories()
    {
        try { return Directory.GetDirectories("/proc"); } catch (IOException) { return []; }
    }

    private static int? ParentOf(int pid) => Read(pid, "PPid:") is var p and > 0 ? (int)p : null;

    private static string? CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); } catch (Exception) { return null; }
    }

    /// <summary>A numeric field of /proc/pid/status (kB for the Vm* fields); 0 when the process is gone.</summary>
    private static long Read(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return long.TryParse(line[field.Length..].Trim().Split(' ')[0], out var v) ? v : 0;
        }
        catch (Exception) { }
        return 0;
    }
}
