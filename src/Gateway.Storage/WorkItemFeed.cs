using Npgsql;

namespace Gateway.Storage;

/// <summary>
/// How a work-item stream reads the work_items table: what it has not sent yet, a delivery counted only
/// for items still pending, and a cancel that loses to a counted delivery (the withdrawal rule).
/// </summary>
public static class WorkItemFeed
{
    public sealed record Pending(string ItemId, byte[] Payload, int DeliveryCount);

    /// <summary>Pending items this stream has not sent yet, oldest first (items it sent but that wait for an answer are skipped, so they never crowd out new ones).</summary>
    public static async Task<IReadOnlyList<Pending>> ListPendingAsync(NpgsqlDataSource dataSource, IReadOnlyCollection<string> alreadySent, int max, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT item_id, payload, delivery_count FROM work_items
            WHERE status = 'pending' AND item_id <> ALL(@sent) ORDER BY created_at, item_id LIMIT @max
            """);
        cmd.Parameters.AddWithValue("sent", alreadySent.ToArray());
        cmd.Parameters.AddWithValue("max", max);
        var list = new List<Pending>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(new Pending(reader.GetString(0), reader.GetFieldValue<byte[]>(1), reader.GetInt32(2)));
        return list;
    }

    /// <summary>
    /// Cancels an item only while no stream has counted a delivery of it. True when it is now cancelled or never
    /// existed; false when it may already be with the province system (or was answered).
    /// </summary>
    public static async Task<bool> CancelIfUndeliveredAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string itemId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            WITH target AS (SELECT item_id, status, delivery_count FROM work_items WHERE item_id = @id FOR UPDATE),
                 cancelled AS (
                    UPDATE work_items w SET status = 'cancelled'
                    FROM target t WHERE w.item_id = t.item_id AND t.status = 'pending' AND t.delivery_count = 0
                    RETURNING w.item_id)
            SELECT (SELECT count(*) FROM target) AS existing, (SELECT count(*) FROM cancelled) AS done
            """, conn, tx);
        cmd.Parameters.AddWithValue("id", itemId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return reader.GetInt64(0) == 0 || reader.GetInt64(1) == 1;
    }

    /// <summary>Counted, in one statement, before the items are written to the stream: once the province system may have them, they count as delivered.</summary>
    public static async Task<IReadOnlyDictionary<string, int>> MarkDeliveredAsync(NpgsqlDataSource dataSource, IReadOnlyList<string> itemIds, CancellationToken ct)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        if (itemIds.Count == 0) return counts;
        await using var cmd = dataSource.CreateCommand(
            "UPDATE work_items SET delivery_count = delivery_count + 1 WHERE item_id = ANY(@ids) AND status = 'pending' RETURNING item_id, delivery_count");
        cmd.Parameters.AddWithValue("ids", itemIds.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) counts[reader.GetString(0)] = reader.GetInt32(1);
        return counts;
    }
}
