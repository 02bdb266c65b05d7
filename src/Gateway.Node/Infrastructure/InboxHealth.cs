using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Node.Infrastructure;

/// <summary>
/// Whether the inbox makes progress. A batch that fails for the node's own reasons (database, bug, configuration) is
/// retried with backoff; while it keeps failing the node reports itself not serving, so an orchestrator or an operator
/// sees it, instead of the envelopes being blamed and dead-lettered.
/// </summary>
public sealed class InboxHealth
{
    /// <summary>Consecutive failed batches after which the node stops reporting SERVING.</summary>
    public const int UnhealthyAfter = 2;

    private readonly Lock _lock = new();
    private int _failures;
    private string? _lastError;
    private DateTimeOffset? _failingSince;

    public int ConsecutiveFailures { get { lock (_lock) return _failures; } }

    public void Progressed()
    {
        lock (_lock) { _failures = 0; _lastError = null; _failingSince = null; }
    }

    public void Failed(Exception ex, DateTimeOffset now)
    {
        lock (_lock)
        {
            _failures++;
            _lastError = $"{ex.GetType().Name}: {ex.Message}";
            _failingSince ??= now;
        }
    }

    public HealthCheckResult Check()
    {
        lock (_lock)
        {
            if (_failures == 0) return HealthCheckResult.Healthy();
            var detail = $"inbox batch failed {_failures} time(s) in a row since {_failingSince:O}; last: {_lastError}";
            return _failures >= UnhealthyAfter ? HealthCheckResult.Unhealthy(detail) : HealthCheckResult.Degraded(detail);
        }
    }
}

internal sealed class InboxHealthCheck(InboxHealth inbox) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) => Task.FromResult(inbox.Check());
}
