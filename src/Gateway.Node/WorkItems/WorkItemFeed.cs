using Npgsql;

namespace Gateway.Node.WorkItems;

/// <summary>Reads pending work items for a stream and counts a delivery only when an item is actually sent.</summary>
public static class WorkItemFeed
{
    public sealed record Pending(string ItemId, byte[] Payload, int DeliveryCount);

    public static async Task<IReadOnlyList<Pending>> ListPendingAsync(NpgsqlDataSource dataSource, int max, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT item_id, payload, delivery_count FROM work_items
            WHERE status = 'pending' ORDER BY created_at, item_id LIMIT @max
            """);
        cmd.Parameters.AddWithValue("max", max);
        var list = new List<Pending>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(new Pending(reader.GetString(0), reader.GetFieldValue<byte[]>(1), reader.GetInt32(2)));
        return list;
    }

    /// <summary>Counted, in one statement, before the items are written to the stream: once the province system may have them, they count as delivered.</summary>
    public static async Task<IReadOnlyDictionary<string, int>> MarkDeliveredAsync(NpgsqlDataSource dataSource, IReadOnlyList<string> itemIds, CancellationToken ct)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        if (itemIds.Count == 0) return counts;
        await using var cmd = dataSource.CreateCommand(
            "UPDATE work_items SET delivery_count = delivery_count + 1 WHERE item_id = ANY(@ids) RETURNING item_id, delivery_count");
        cmd.Parameters.AddWithValue("ids", itemIds.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) counts[reader.GetString(0)] = reader.GetInt32(1);
        return counts;
    }
}
