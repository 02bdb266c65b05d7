namespace Gateway.ProvinceSimulator;

/// <summary>How the simulator talks to its node's work-item API.</summary>
public enum WorkItemPath
{
    /// <summary>ExchangeWorkItems: items and answers on one bidirectional stream, answers committed in batches.</summary>
    Stream,

    /// <summary>SubscribeWorkItems plus one unary AnswerWorkItem call per answer, as a simple integrator would.</summary>
    Unary,
}

public sealed record SimulatorOptions
{
    public WorkItemPath Path { get; init; } = WorkItemPath.Stream;

    /// <summary>Items answered at once (computed and sent, waiting for the node's result); the rest wait their turn.</summary>
    public int MaxAnswersInFlight { get; init; } = 16;

    /// <summary>First wait before re-subscribing after the stream broke; doubles up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Tries per answer before leaving the item to be redelivered by the node.</summary>
    public int AnswerAttempts { get; init; } = 5;

    /// <summary>gRPC deadline of each unary call; on the stream, how long one answer waits for its result.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public string? SubscriberName { get; init; }

    /// <summary>Clock for business dates when an item carries no creation time.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal TimeSpan Backoff(int attempt)
    {
        var ms = MinBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 16));
        ms = Math.Min(ms, MaxBackoff.TotalMilliseconds);
        // ±20% jitter so many simulators do not reconnect in step.
        ms *= 0.8 + Random.Shared.NextDouble() * 0.4;
        return TimeSpan.FromMilliseconds(Math.Max(ms, 1));
    }
}
