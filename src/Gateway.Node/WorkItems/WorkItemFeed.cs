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

    /// <summary>Counted before the item is written to the stream: once the province system may have it, it counts as delivered.</summary>
    public static async Task<int> MarkDeliveredAsync(NpgsqlDataSource dataSource, string itemId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "UPDATE work_items SET delivery_count = delivery_count + 1 WHERE item_id = @id RETURNING delivery_count");
        cmd.Parameters.AddWithValue("id", itemId);
        return (int)(await cmd.ExecuteScalarAsync(ct) ?? 0);
    }
}
