namespace Gateway.Benchmarks;

/// <summary>How big one run is. Every phase is bounded by a count or a duration, so the run always ends.</summary>
public sealed record BenchmarkSettings
{
    public bool Quick { get; init; }

    /// <summary>Transfers run one after another in the uncontended phase.</summary>
    public int SingleTransfers { get; init; } = 100;

    /// <summary>Transfers started at once in the burst phase (half each way).</summary>
    public int Burst { get; init; } = 1_000;

    /// <summary>Times each scenario (and its baselines) runs; the report gives the median and the spread.</summary>
    public int Repeat { get; init; } = 3;

    /// <summary>Measured time of each call scenario (after its warm-up).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Concurrent gRPC callers.</summary>
    public int Concurrency { get; init; } = 16;

    /// <summary>Messages in the raw Kafka throughput phase (capped so no partition nears the mock's ~5 MiB retention).</summary>
    public int KafkaMessages { get; init; } = 20_000;

    /// <summary>Sequential produce→consume round trips (and sequential commits) per repetition of the single-transfer baseline.</summary>
    public int RoundTrips { get; init; } = 300;

    /// <summary>Malformed calls in the hostile-calls phase.</summary>
    public int HostileCalls { get; init; } = 3_000;

    /// <summary>Also run the hostile calls against a node started as its own process, and report that process's resident memory.</summary>
    public bool HostileProcess { get; init; }

    public bool UseRedis { get; init; } = true;

    /// <summary>Skip the call, transfer, raw Kafka and hostile phases: only the record-sync phase runs.</summary>
    public bool SyncOnly { get; init; }

    /// <summary>Filings (and as many enrolment changes) called at the owner in the sync apply-throughput phase.</summary>
    public int SyncChanges { get; init; } = 2_000;

    /// <summary>Owner filings bulk-loaded and then backfilled into the province of care (0 skips the backfill).</summary>
    public int BackfillFilings { get; init; } = 200_000;

    /// <summary>CheckDuplicateEnrolment calls at each node (after 20 unmeasured ones).</summary>
    public int DuplicateChecks { get; init; } = 200;

    /// <summary>Failed letters re-sent by the operators' paced bulk re-send (0 skips the phase).</summary>
    public int OpsResend { get; init; } = 1_000;

    /// <summary>Run the burst and filing apply again on a cluster with signatures off, beside the main run's (on).</summary>
    public bool SignaturesOff { get; init; } = true;

    /// <summary>Upper bound on waiting for the last change of an apply-throughput run to be applied.</summary>
    public TimeSpan SyncTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Upper bound on one backfill (1,000,000 filings at the target's 60 s would need far less).</summary>
    public TimeSpan BackfillTimeout { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>Upper bound on each transfer phase; the run reports a failure instead of waiting longer.</summary>
    public TimeSpan TransferTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>The first run of a scenario warms up longer (JIT tiers, pools, HTTP/2 windows); later repeats only briefly.</summary>
    public TimeSpan FirstWarmup => Quick ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(1);

    public TimeSpan Warmup => TimeSpan.FromMilliseconds(Quick ? 200 : 300);

    public static BenchmarkSettings QuickDefaults { get; } = new()
    {
        Quick = true,
        SingleTransfers = 10,
        Burst = 50,
        Repeat = 1,
        Duration = TimeSpan.FromSeconds(1),
        KafkaMessages = 2_000,
        RoundTrips = 100,
        HostileCalls = 400,
        SyncChanges = 300,
        BackfillFilings = 10_000,
        DuplicateChecks = 100,
        OpsResend = 100,
        SyncTimeout = TimeSpan.FromSeconds(60),
        TransferTimeout = TimeSpan.FromSeconds(40),
    };
}
