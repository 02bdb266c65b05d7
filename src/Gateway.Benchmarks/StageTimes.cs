using Npgsql;

namespace Gateway.Benchmarks;

/// <summary>One stage of the exchange path and how long it took across the phase's transfers.</summary>
public sealed record StageTime(string Stage, LatencySummary Latency);

/// <summary>
/// Where the end-to-end time goes, read back from timestamps the nodes already store (outbox, inbox, work items).
/// They all come from one machine clock: the nodes run in this process and PostgreSQL on this host.
/// Row defaults of now() are the writing transaction's start, so a stage may look a few ms early.
/// </summary>
public static class StageTimes
{
    private sealed record Sent(string Type, string? TransferId, DateTimeOffset CreatedAt, DateTimeOffset? PublishedAt, DateTimeOffset? ReceiptAt, int Attempts);

    public static async Task<List<StageTime>> ReadAsync(IReadOnlyCollection<NpgsqlDataSource> sources, IReadOnlyDictionary<string, DateTimeOffset> startById,
        IReadOnlyDictionary<NpgsqlDataSource, long> outboxMark, DateTimeOffset since, CancellationToken ct)
    {
        var ids = startById.Keys.ToArray();
        var milestones = new Dictionary<string, List<double>>();
        var durations = new Dictionary<string, List<double>>();
        var sent = new Dictionary<string, Sent>();
        var applied = new List<(string MessageId, DateTimeOffset At)>();

        void Milestone(string what, string? transferId, DateTimeOffset at)
        {
            if (transferId is not null && startById.TryGetValue(transferId, out var start)) Add(milestones, what, at - start);
        }

        foreach (var db in sources)
        {
            await ReadRowsAsync(db, """
                SELECT kind, transfer_id, created_at, answered_at FROM work_items
                WHERE transfer_id = ANY(@ids) AND status = 'answered'
                """, cmd => cmd.Parameters.AddWithValue("ids", ids), r =>
                {
                    var (kind, transferId) = (r.GetString(0), r.GetString(1));
                    var (created, answered) = (r.GetFieldValue<DateTimeOffset>(2), r.GetFieldValue<DateTimeOffset>(3));
                    Milestone($"work item {kind} answered", transferId, answered);
                    Add(durations, $"work item {kind}: created → answered by the province system", answered - created);
                }, ct);

            await ReadRowsAsync(db, """
                SELECT message_id, message_type, correlation_id, created_at, last_published_at, receipt_at, attempts FROM outbox WHERE id > @mark
                """, cmd => cmd.Parameters.AddWithValue("mark", outboxMark[db]), r => sent[r.GetString(0)] = new Sent(
                    r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetFieldValue<DateTimeOffset>(3),
                    r.IsDBNull(4) ? null : r.GetFieldValue<DateTimeOffset>(4), r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5), r.GetInt32(6)), ct);

            await ReadRowsAsync(db, "SELECT message_id, received_at FROM inbox WHERE received_at >= @since",
                cmd => cmd.Parameters.AddWithValue("since", since), r => applied.Add((r.GetString(0), r.GetFieldValue<DateTimeOffset>(1))), ct);
        }

        foreach (var s in sent.Values.Where(s => s.Type != "Receipt"))
            Milestone($"{s.Type} written at the sender (its transaction began)", s.TransferId, s.CreatedAt);
        // Only envelopes sent once, so a re-send's later attempt does not pass for a slow first one.
        foreach (var s in sent.Values.Where(s => s.Attempts == 1 && s.PublishedAt is not null))
        {
            Add(durations, $"{s.Type}: written to the outbox (its transaction began) → published by the relay", s.PublishedAt!.Value - s.CreatedAt);
            if (s.ReceiptAt is { } receipt) Add(durations, $"{s.Type}: published → its receipt back at the sender", receipt - s.PublishedAt.Value);
        }
        foreach (var (messageId, at) in applied)
        {
            if (!sent.TryGetValue(messageId, out var s)) continue;
            Milestone($"{s.Type} applied at the receiver", s.TransferId, at);
            if (s.Attempts == 1 && s.PublishedAt is { } published) Add(durations, $"{s.Type}: published → applied in the receiver's inbox transaction", at - published);
        }

        var stages = milestones.Select(m => new StageTime($"since start → {m.Key}", LatencySummary.FromMilliseconds(m.Value)))
            .OrderBy(s => s.Latency.P50Ms).ToList();
        stages.AddRange(durations.OrderBy(d => d.Key).Select(d => new StageTime(d.Key, LatencySummary.FromMilliseconds(d.Value))));
        return stages;
    }

    private static void Add(Dictionary<string, List<double>> into, string key, TimeSpan value)
    {
        if (!into.TryGetValue(key, out var list)) into[key] = list = [];
        list.Add(value.TotalMilliseconds);
    }

    private static async Task ReadRowsAsync(NpgsqlDataSource db, string sql, Action<NpgsqlCommand> bind, Action<NpgsqlDataReader> row, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(sql);
        bind(cmd);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) row(reader);
    }
}
