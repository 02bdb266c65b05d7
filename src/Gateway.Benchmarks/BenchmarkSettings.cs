namespace Gateway.Benchmarks;

/// <summary>How big one run is. Every phase is bounded by a count or a duration, so the run always ends.</summary>
public sealed record BenchmarkSettings
{
    public bool Quick { get; init; }

    /// <summary>Concurrent transfers in the end-to-end phase.</summary>
    public int Transfers { get; init; } = 200;

    /// <summary>Measured time of each gRPC scenario (after its warm-up).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Concurrent gRPC callers.</summary>
    public int Concurrency { get; init; } = 16;

    /// <summary>Messages in the raw Kafka throughput phase (capped so no partition nears the mock's ~5 MiB retention).</summary>
    public int KafkaMessages { get; init; } = 20_000;

    /// <summary>Sequential produce→consume round trips in the raw Kafka latency phase.</summary>
    public int KafkaRoundTrips { get; init; } = 1_000;

    public bool UseRedis { get; init; } = true;

    /// <summary>Upper bound on the end-to-end phase; the run reports a failure instead of waiting longer.</summary>
    public TimeSpan TransferTimeout { get; init; } = TimeSpan.FromMinutes(3);

    public TimeSpan Warmup => Quick ? TimeSpan.FromMilliseconds(300) : TimeSpan.FromSeconds(1);

    public static BenchmarkSettings QuickDefaults { get; } = new()
    {
        Quick = true,
        Transfers = 20,
        Duration = TimeSpan.FromSeconds(1),
        KafkaMessages = 2_000,
        KafkaRoundTrips = 200,
        TransferTimeout = TimeSpan.FromSeconds(40),
    };
}
