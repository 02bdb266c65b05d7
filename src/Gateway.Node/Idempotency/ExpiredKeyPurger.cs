using Gateway.Node.Infrastructure;
using Gateway.Storage;

namespace Gateway.Node.Idempotency;

/// <summary>Deletes idempotency keys past their window in small batches, so the table stays the size of one window.</summary>
public sealed class ExpiredKeyPurger(NodeDatabase db, BusinessClock clock, ILogger<ExpiredKeyPurger> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                var total = 0;
                int deleted;
                do
                {
                    deleted = await db.WithConnectionAsync((conn, ct) => IdempotencyRecordStore.PurgeExpiredAsync(conn, null, clock.UtcNow, 5_000, ct), stoppingToken);
                    total += deleted;
                } while (deleted > 0 && !stoppingToken.IsCancellationRequested);
                if (total > 0) logger.LogInformation("Purged {Count} expired idempotency keys", total);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex) { logger.LogWarning(ex, "Purging expired idempotency keys failed; next try in {Interval}", Interval); }
        } while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => !t.IsCanceled && t.Result));
    }
}
