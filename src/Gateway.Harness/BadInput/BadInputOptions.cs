namespace Gateway.Harness.BadInput;

/// <summary>How big a bad-input run is. The same seed against the same cluster shape generates the same inputs.</summary>
public sealed record BadInputOptions
{
    /// <summary>Generated gRPC requests, spread evenly over every mutating call of the node.</summary>
    public int Requests { get; init; } = 10_000;

    /// <summary>Garbage, forged and replayed envelopes written straight onto the nodes' inbox topics.</summary>
    public int Envelopes { get; init; } = 1_000;

    public int Seed { get; init; } = 20261122;

    /// <summary>Requests in flight at once (the nodes' admission control may answer NODE_BUSY; those are retried).</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>How long the nodes get to dead-letter every envelope, and to fall quiet before and after.</summary>
    public TimeSpan SettleTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Violations kept with their input in the report (all are counted).</summary>
    public int ViolationsKept { get; init; } = 20;

    /// <summary>The origin and destination of the run's transfers: the first two provinces of the cluster when null.</summary>
    public string? Origin { get; init; }
    public string? Destination { get; init; }
}

/// <summary>Where a run is: its phase and how far through it.</summary>
public sealed record BadInputProgress(string Phase, int Done, int Total, int Violations);
