namespace Gateway.Benchmarks;

/// <summary>Percentiles of a set of latencies (nearest rank), in milliseconds.</summary>
public sealed record LatencySummary(int Count, double P50Ms, double P99Ms, double MaxMs, double MeanMs)
{
    public static LatencySummary Empty { get; } = new(0, double.NaN, double.NaN, double.NaN, double.NaN);

    public static LatencySummary FromMilliseconds(IEnumerable<double> samples)
    {
        var sorted = samples.ToArray();
        if (sorted.Length == 0) return Empty;
        Array.Sort(sorted);
        return new LatencySummary(sorted.Length, Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted[^1], sorted.Average());
    }

    /// <summary>From Stopwatch timestamps differences.</summary>
    public static LatencySummary FromTicks(IEnumerable<long> ticks) =>
        FromMilliseconds(ticks.Select(t => t * 1000.0 / System.Diagnostics.Stopwatch.Frequency));

    private static double Percentile(double[] sorted, double p)
    {
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
