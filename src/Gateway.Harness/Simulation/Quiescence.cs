using Microsoft.Extensions.Logging;

namespace Gateway.Harness.Simulation;

/// <summary>How the wait for a quiet cluster ended.</summary>
public sealed record QuiescenceResult(bool Quiet, TimeSpan Took, string Detail);

/// <summary>
/// Waits until every node's outbox has nothing waiting to be sent or acknowledged, no work item waits for its
/// province system, every message-log entry is sealed, and no transfer or record changed for the quiet period.
/// </summary>
public static class Quiescence
{
    private const string Probe = """
        SELECT (SELECT count(*) FROM outbox WHERE status IN ('pending', 'awaiting_receipt')),
               (SELECT count(*) FROM work_items WHERE status = 'pending'),
               (SELECT count(*) FROM message_log WHERE seq IS NULL),
               (SELECT coalesce(max(updated_at), 'epoch')::text || ':' || count(*) FROM transfers),
               (SELECT count(*) FROM record_changes),
               (SELECT count(*) FROM inbox)
        """;

    public static async Task<QuiescenceResult> WaitAsync(SimulationState state, ILogger log, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var until = started + state.Scenario.QuiescenceTimeout;
        string? last = null;
        var quietSince = DateTime.UtcNow;
        var detail = "";
        while (true)
        {
            var parts = new List<string>();
            var busy = new List<string>();
            foreach (var node in state.Nodes)
            {
                try
                {
                    var row = (await state.Db(node.Province).QueryAsync(Probe, r => (Outbox: r.GetInt64(0), Items: r.GetInt64(1), Unsealed: r.GetInt64(2),
                        Transfers: r.GetString(3), Changes: r.GetInt64(4), Inbox: r.GetInt64(5)))).Single();
                    parts.Add($"{node.Province}:{row.Outbox}:{row.Items}:{row.Unsealed}:{row.Transfers}:{row.Changes}:{row.Inbox}");
                    // An integrator's system may leave items unanswered; its node is quiet when its outbox is.
                    var itemsCount = node.Province == state.Scenario.ExternalSystem ? 0 : row.Items;
                    if (row.Outbox + itemsCount + row.Unsealed > 0 || !node.IsRunning)
                        busy.Add($"{node.Province}: {row.Outbox} outbound waiting, {itemsCount} work items pending, {row.Unsealed} log entries unsealed");
                }
                catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    busy.Add($"{node.Province}: database not readable ({ex.Message})");
                }
            }
            var fingerprint = string.Join("|", parts);
            if (fingerprint != last || busy.Count > 0)
            {
                last = fingerprint;
                quietSince = DateTime.UtcNow;
                detail = busy.Count > 0 ? string.Join("; ", busy.Take(6)) : "still changing";
            }
            else if (DateTime.UtcNow - quietSince >= state.Scenario.QuietPeriod)
            {
                return new QuiescenceResult(true, DateTime.UtcNow - started, $"quiet for {state.Scenario.QuietPeriod.TotalSeconds:0} s");
            }
            if (DateTime.UtcNow > until)
            {
                log.LogWarning("Not quiet after {Timeout}: {Detail}", state.Scenario.QuiescenceTimeout, detail);
                return new QuiescenceResult(false, DateTime.UtcNow - started, $"not quiet after {state.Scenario.QuiescenceTimeout.TotalSeconds:0} s: {detail}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(750), ct);
        }
    }
}
