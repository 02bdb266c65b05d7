using Gateway.Messaging;
using Gateway.Node.Infrastructure;
using Gateway.Node.Ops;
using Gateway.Node.Transfers;
using Gateway.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.Node.Telemetry;

/// <summary>
/// Reads the gauges' values off the hot path: a few indexed counts every <see cref="TelemetryOptions.GaugeInterval"/>,
/// overdue transfers every <see cref="TelemetryOptions.OverdueInterval"/>, and only while some reader collects a gauge.
/// A failed read keeps the last values and is logged once per failure streak.
/// </summary>
public sealed class TelemetrySampler(
    NodeDatabase db,
    InboxConsumer consumer,
    TransferViews views,
    BusinessClock clock,
    NodeIdentity node,
    IOptions<TelemetryOptions> options,
    ILogger<TelemetrySampler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var snapshot = NodeGauges.Register(this, node.Province);
        var interval = options.Value.GaugeInterval < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : options.Value.GaugeInterval;
        var overdueDue = DateTimeOffset.MinValue;
        var failing = false;
        try
        {
            using var timer = new PeriodicTimer(interval);
            do
            {
                if (!GatewayTelemetry.GaugesWanted) continue;
                try
                {
                    await SampleAsync(snapshot, DateTimeOffset.UtcNow >= overdueDue, stoppingToken);
                    if (DateTimeOffset.UtcNow >= overdueDue) overdueDue = DateTimeOffset.UtcNow + options.Value.OverdueInterval;
                    failing = false;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    if (!failing) logger.LogWarning(ex, "Reading the gauges failed; they keep their last values");
                    failing = true;
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        finally
        {
            NodeGauges.Remove(this);
        }
    }

    /// <summary>One read of every gauge; public so a test can sample now instead of waiting for the interval.</summary>
    public async Task SampleAsync(NodeGauges.Snapshot snapshot, bool overdue, CancellationToken ct)
    {
        snapshot.InboxLag = consumer.Lag();
        var depth = await TelemetryQueries.OutboxDepthAsync(db.DataSource, ct);
        snapshot.OutboxDepth = OutboxStatuses.Select(s => (s, depth.FirstOrDefault(d => d.Status == s).Count)).ToList();
        var now = clock.UtcNow;
        var waiting = (await TelemetryQueries.WaitingWorkItemsAsync(db.DataSource, ct))
            .Select(w => (w.Kind, w.Count, Math.Max(0, (now - w.Oldest).TotalSeconds))).ToList();
        // A kind or step seen before and gone now reports 0, so its series drops to zero instead of stopping.
        waiting.AddRange(snapshot.WorkItemsWaiting.Where(p => waiting.All(w => w.Kind != p.Kind)).Select(p => (p.Kind, 0L, 0.0)));
        snapshot.WorkItemsWaiting = waiting;
        if (!overdue) return;
        var overdueNow = (await OverdueByStepAsync(ct)).ToList();
        overdueNow.AddRange(snapshot.OverdueTransfers.Where(p => overdueNow.All(o => o.Step != p.Step)).Select(p => (p.Step, 0L)));
        snapshot.OverdueTransfers = overdueNow;
    }

    private static readonly string[] OutboxStatuses = ["pending", "awaiting_receipt", "failed"];

    /// <summary>Open transfers with an overdue step, by step: the same bounded scan as the operators' CountConditions.</summary>
    private Task<IReadOnlyList<(string Step, long Count)>> OverdueByStepAsync(CancellationToken ct) => db.WithConnectionAsync(async (conn, token) =>
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        OpsCursor? after = null;
        var checkedRows = 0;
        while (checkedRows < CountConditionsHandler.MaxOverdueChecked)
        {
            var page = await OpsQueries.TransfersAsync(conn, OpsQueries.TransferCondition.Open, null, null, null, after, 500, token);
            foreach (var row in page)
            {
                checkedRows++;
                after = new OpsCursor(row.CreatedAt, row.Record.TransferId);
                foreach (var deadline in views.View(row.Record).Deadlines)
                    if (deadline.Overdue) counts[deadline.Step] = counts.GetValueOrDefault(deadline.Step) + 1;
            }
            if (page.Count < 500) break;
        }
        return (IReadOnlyList<(string, long)>)counts.Select(c => (c.Key, c.Value)).ToList();
    }, ct);
}
