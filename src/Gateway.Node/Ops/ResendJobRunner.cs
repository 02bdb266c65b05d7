using Gateway.Node.Infrastructure;
using Gateway.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.Node.Ops;

/// <summary>
/// Re-queues each running job's envelopes at its pace: every tick takes per_second × tick of them, so a bulk re-send
/// reaches the counterpart as a steady stream. Jobs are claimed with SKIP LOCKED, so instances sharing a database
/// never take the same envelopes; a job's position is in its rows, so a restart goes on where it stopped.
/// </summary>
public sealed class ResendJobRunner(NodeDatabase db, BusinessClock clock, OutboxSignal outbox, IOptions<NodeOptions> options,
    ILogger<ResendJobRunner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tick = options.Value.ResendJobTick;
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    if (await TickAsync(tick, stoppingToken) > 0) outbox.Notify();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Nothing was taken in a failed tick (it rolled back): the next one takes the same envelopes.
                    logger.LogWarning(ex, "Re-send job tick failed; retrying on the next tick");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    /// <summary>One pass over the running jobs; returns how many envelopes were re-queued.</summary>
    public async Task<int> TickAsync(TimeSpan tick, CancellationToken ct)
    {
        var total = 0;
        long after = 0;
        while (true)
        {
            var taken = await db.InTransactionAsync(async (conn, tx, token) =>
            {
                if (await ResendJobStore.ClaimRunningAsync(conn, tx, after, token) is not { } job) return ((long, int)?)null;
                var count = Math.Max(1, (int)Math.Ceiling(job.PerSecond * tick.TotalSeconds));
                return (job.Id, await ResendJobStore.AdvanceAsync(conn, tx, job.Id, count, clock.UtcNow, token));
            }, ct);
            if (taken is not { } t) return total;
            after = t.Item1;
            total += t.Item2;
        }
    }
}
