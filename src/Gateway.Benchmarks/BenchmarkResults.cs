namespace Gateway.Benchmarks;

/// <summary>Everything one run measured; the report reads only this. Lists hold one entry per repetition.</summary>
public sealed class BenchmarkResults
{
    public List<LoadResult> Echo { get; } = [];
    public List<LoadResult> Redis { get; } = [];
    public List<LoadResult> PgCommits { get; } = [];
    public List<LoadResult> PgCounterCommits { get; } = [];
    public List<LoadResult> IssueCertificate { get; } = [];
    public List<LoadResult> Replay { get; } = [];
    public LoadResult? GetTransfer { get; set; }
    public LoadResult? PgTransferReads { get; set; }
    public LoadResult? ViewCpu { get; set; }
    public int CertificateRegions { get; set; }
    public int ProfileRegions { get; set; }

    /// <summary>Single-transfer phase and its two baselines, per repetition.</summary>
    public List<TransferPhaseResult> Single { get; } = [];
    public List<KafkaRoundTripResult> KafkaRoundTrip { get; } = [];
    public List<LatencySummary> CommitLatency { get; } = [];

    /// <summary>Burst phase and its baseline, per repetition.</summary>
    public List<TransferPhaseResult> Burst { get; } = [];
    public List<LoadResult> PgBurstCommits { get; } = [];
    public string? BurstStarter { get; set; }

    public KafkaThroughputResult? KafkaThroughput { get; set; }
    public HostileResult? Hostile { get; set; }
    public HostileProcessResult? HostileProcess { get; set; }
    public OpsResendResult? OpsResend { get; set; }
    public SignaturesOffResult? SignaturesOff { get; set; }
    /// <summary>Record sync: apply throughput per repetition with its raw Kafka baseline, one backfill, one duplicate-check series.</summary>
    public List<SyncApplyResult> FilingApply { get; } = [];
    public List<SyncApplyResult> EnrolmentApply { get; } = [];
    public List<KafkaThroughputResult> FilingKafka { get; } = [];
    public List<KafkaThroughputResult> EnrolmentKafka { get; } = [];
    public BackfillResult? Backfill { get; set; }
    public MemorySnapshot? AfterBackfill { get; set; }
    public DuplicateCheckResult? DuplicateCheck { get; set; }

    public List<MemorySnapshot> Memory { get; } = [];
    public int EchoPayloadBytes { get; set; }
    public List<string> Problems { get; } = [];
    public List<string> Notes { get; } = [];

    public MemorySnapshot? MemoryAt(string label) => Memory.FirstOrDefault(m => m.Label == label);

    public IEnumerable<MemorySnapshot> MemoryStartingWith(string label) => Memory.Where(m => m.Label.StartsWith(label, StringComparison.Ordinal));
}

/// <summary>A figure over the repetitions of a scenario: median and range.</summary>
public readonly record struct Spread(double Median, double Min, double Max, int Count)
{
    public static Spread Of(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return new Spread(double.NaN, double.NaN, double.NaN, 0);
        var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        return new Spread(median, sorted[0], sorted[^1], sorted.Length);
    }

    /// <summary>"12.3 ms (11.0–14.1 ms)"; the range only when there was more than one run.</summary>
    public string Show(Func<double, string> format) => Count <= 1 ? format(Median) : $"{format(Median)} ({format(Min)}–{format(Max)})";
}

public static class Repeats
{
    public static Spread Spread<T>(this IEnumerable<T> runs, Func<T, double> figure) => Benchmarks.Spread.Of(runs.Select(figure));

    /// <summary>The run whose figure is the median (for tables that show one run in detail).</summary>
    public static T? MedianRun<T>(this IReadOnlyList<T> runs, Func<T, double> figure) where T : class =>
        runs.Count == 0 ? null : runs.OrderBy(figure).ElementAt((runs.Count - 1) / 2);
}
