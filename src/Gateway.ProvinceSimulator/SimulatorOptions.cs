namespace Gateway.ProvinceSimulator;

public sealed record SimulatorOptions
{
    /// <summary>First wait before re-subscribing after the stream broke; doubles up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Tries per answer before leaving the item to be redelivered by the node.</summary>
    public int AnswerAttempts { get; init; } = 5;

    /// <summary>gRPC deadline of each unary call.</summary>
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
