using Npgsql;

namespace Gateway.Storage;

/// <summary>
/// The periodic counts behind the node's gauges (docs/operations.md): read by one sampler every few seconds, never on
/// a call's or an envelope's path. Each reads a partial index of pending rows only.
/// </summary>
public static class TelemetryQueries
{
    /// <summary>Outbox rows not yet done, by status (pending, awaiting_receipt, failed).</summary>
    public static async Task<IReadOnlyList<(string Status, long Count)>> OutboxDepthAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT status, count(*) FROM outbox WHERE status IN ('pending', 'awaiting_receipt', 'failed') GROUP BY status");
        return await cmd.ReadAllAsync(r => (r.GetString(0), r.GetInt64(1)), ct).ConfigureAwait(false);
    }

    /// <summary>Work items the province system has not answered, by kind, with the oldest one's creation time.</summary>
    public static async Task<IReadOnlyList<(string Kind, long Count, DateTimeOffset Oldest)>> WaitingWorkItemsAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT kind, count(*), min(created_at) FROM work_items WHERE status = 'pending' GROUP BY kind");
        return await cmd.ReadAllAsync(r => (r.GetString(0), r.GetInt64(1), r.Time(2)), ct).ConfigureAwait(false);
    }
}
