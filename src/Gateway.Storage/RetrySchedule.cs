namespace Gateway.Storage;

/// <summary>
/// How long the outbox waits before sending an envelope again when no receipt came:
/// First, then ×Factor per attempt up to Max, each spread by ±Jitter; Budget attempts in all.
/// </summary>
public sealed record RetrySchedule(TimeSpan First, double Factor, TimeSpan Max, int Budget)
{
    public static RetrySchedule Default { get; } = new(TimeSpan.FromSeconds(30), 2.0, TimeSpan.FromMinutes(30), 10);

    /// <summary>Fraction of the delay added or removed at random so that many senders do not retry in step.</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>Delay before the next send after attempt number <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan DelayAfter(int attempt, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var baseMs = First.TotalMilliseconds * Math.Pow(Factor, attempt - 1);
        baseMs = Math.Min(baseMs, Max.TotalMilliseconds);
        var spread = (((random ?? Random.Shared).NextDouble() * 2) - 1) * Jitter;
        return TimeSpan.FromMilliseconds(Math.Max(0, baseMs * (1 + spread)));
    }
}
