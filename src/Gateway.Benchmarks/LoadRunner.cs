using System.Diagnostics;

namespace Gateway.Benchmarks;

/// <summary>Outcome of one closed-loop load: completed calls, failures, wall time and latencies.</summary>
public sealed record LoadResult(string Name, int Calls, int Errors, TimeSpan Elapsed, LatencySummary Latency, long AllocatedBytes, string? FirstError)
{
    public double CallsPerSecond => Elapsed > TimeSpan.Zero ? Calls / Elapsed.TotalSeconds : 0;

    /// <summary>Managed bytes allocated by the whole process per completed call (client, server and background loops).</summary>
    public double AllocatedPerCall => Calls > 0 ? (double)AllocatedBytes / Calls : double.NaN;
}

/// <summary>
/// N callers, each issuing its next call as soon as the previous one answered, for a fixed time.
/// Closed loop on purpose: it measures what the server sustains at that concurrency, never queues unboundedly.
/// </summary>
public static class LoadRunner
{
    public static async Task<LoadResult> RunAsync(string name, int concurrency, TimeSpan warmup, TimeSpan duration,
        Func<int, long, CancellationToken, Task> call, CancellationToken ct)
    {
        long sequence = 0;
        if (warmup > TimeSpan.Zero)
            await RunCoreAsync(concurrency, warmup, call, () => Interlocked.Increment(ref sequence), ct);
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var (samples, errors, firstError, elapsed) = await RunCoreAsync(concurrency, duration, call, () => Interlocked.Increment(ref sequence), ct);
        var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
        return new LoadResult(name, samples.Count, errors, elapsed, LatencySummary.FromTicks(samples), allocated, firstError);
    }

    private static async Task<(List<long> Samples, int Errors, string? FirstError, TimeSpan Elapsed)> RunCoreAsync(
        int concurrency, TimeSpan duration, Func<int, long, CancellationToken, Task> call, Func<long> next, CancellationToken ct)
    {
        var perWorker = new List<long>[concurrency];
        var errors = 0;
        string? firstError = null;
        var clock = Stopwatch.StartNew();

        async Task Worker(int worker)
        {
            var samples = perWorker[worker] = new List<long>(4096);
            while (clock.Elapsed < duration && !ct.IsCancellationRequested)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await call(worker, next(), ct);
                    samples.Add(Stopwatch.GetTimestamp() - start);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, $"{ex.GetType().Name}: {ex.Message}", null);
                    await Task.Delay(1, CancellationToken.None); // a failing server must not turn this into a busy loop
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(() => Worker(w), ct)));
        var elapsed = clock.Elapsed;
        ct.ThrowIfCancellationRequested();
        return (perWorker.SelectMany(s => s).ToList(), errors, firstError, elapsed);
    }
}
