using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

/// <summary>
/// How a work-item stream reads the work_items table. Every read is a claim: the items it returns are counted
/// as delivered and stamped in the same statement, before the stream writes them (once the province system
/// may have an item, it counts as delivered — the withdrawal rule of <see cref="CancelIfUndeliveredAsync"/>).
/// The table, not the stream, remembers what was sent, so a stream keeps no per-item state.
/// </summary>
public static class WorkItemFeed
{
    /// <summary>An item claimed for one stream, with the delivery count that includes this delivery.</summary>
    public sealed record Delivery(string ItemId, byte[] Payload, int DeliveryCount, DateTimeOffset CreatedAt, string? TraceParent = null);

    /// <summary>Position in the (created_at, item_id) order of the first pass.</summary>
    public sealed record Cursor(DateTimeOffset CreatedAt, string ItemId);

    /// <summary>One page of the first pass; <see cref="Next"/> is null once the pass has read every pending item.</summary>
    public sealed record Page(IReadOnlyList<Delivery> Items, Cursor? Next);

    /// <summary>
    /// The next page of every pending item after <paramref name="after"/> (null: from the start), oldest first,
    /// whenever it was last delivered: a subscriber that just (re)connected gets everything still unanswered.
    /// </summary>
    public static async Task<Page> DeliverPendingPageAsync(
        NpgsqlDataSource dataSource, Cursor? after, int max, DateTimeOffset now, CancellationToken ct)
    {
        // The page is chosen from a snapshot; the UPDATE re-checks the status, so an item answered or
        // cancelled meanwhile drops out of the page without ending the pass early (the cursor is the page's).
        // Two texts rather than "@first OR ...", so a prepared generic plan still range-scans work_items_pending.
        var from = after is null ? "" : "AND (created_at, item_id) > (@after_created, @after_id)";
        await using var cmd = dataSource.CreateCommand($"""
            WITH page AS (
                SELECT item_id, created_at FROM work_items
                WHERE status = 'pending' {from}
                ORDER BY created_at, item_id
                LIMIT @max),
            claimed AS (
                UPDATE work_items w SET delivery_count = w.delivery_count + 1, last_delivered_at = @now
                FROM page WHERE w.item_id = page.item_id AND w.status = 'pending'
                RETURNING w.item_id, w.payload, w.delivery_count, w.trace_parent)
            SELECT page.item_id, page.created_at, claimed.payload, claimed.delivery_count, claimed.trace_parent
            FROM page LEFT JOIN claimed ON claimed.item_id = page.item_id
            ORDER BY page.created_at, page.item_id
            """);
        if (after is not null)
            cmd.WithTime("after_created", after.CreatedAt).With("after_id", NpgsqlDbType.Text, after.ItemId);
        cmd.With("max", NpgsqlDbType.Integer, max).WithTime("now", now);
        var items = new List<Delivery>();
        Cursor? last = null;
        var scanned = 0;
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            scanned++;
            last = new Cursor(reader.Time(1), reader.GetString(0));
            if (!reader.IsDBNull(2))
                items.Add(new Delivery(last.ItemId, reader.GetFieldValue<byte[]>(2), reader.GetInt32(3), last.CreatedAt, reader.NullableString(4)));
        }
        return new Page(items, scanned < max ? null : last);
    }

    /// <summary>
    /// Claims pending items that were never delivered or last delivered before <paramref name="deliveredBefore"/>:
    /// new items first, then the longest-waiting. Rows another transaction holds are skipped (an answer or a
    /// withdrawal is deciding them, or another stream is claiming them); the next poll sees them again.
    /// </summary>
    public static async Task<IReadOnlyList<Delivery>> DeliverDueAsync(
        NpgsqlDataSource dataSource, DateTimeOffset deliveredBefore, int max, DateTimeOffset now, CancellationToken ct)
    {
        // The coalesce matches the index work_items_pending_due, so the scan stops at the first item not due.
        await using var cmd = dataSource.CreateCommand("""
            WITH due AS (
                SELECT item_id, created_at, coalesce(last_delivered_at, '-infinity'::timestamptz) AS due_at FROM work_items
                WHERE status = 'pending' AND coalesce(last_delivered_at, '-infinity'::timestamptz) < @delivered_before
                ORDER BY due_at, created_at, item_id
                LIMIT @max
                FOR UPDATE SKIP LOCKED),
            claimed AS (
                UPDATE work_items w SET delivery_count = w.delivery_count + 1, last_delivered_at = @now
                FROM due WHERE w.item_id = due.item_id
                RETURNING w.item_id, w.payload, w.delivery_count, w.trace_parent)
            SELECT claimed.item_id, claimed.payload, claimed.delivery_count, due.created_at, claimed.trace_parent
            FROM claimed JOIN due ON due.item_id = claimed.item_id
            ORDER BY due.due_at, due.created_at, due.item_id
            """);
        cmd.WithTime("delivered_before", deliveredBefore)
            .With("max", NpgsqlDbType.Integer, max)
            .WithTime("now", now);
        return await cmd.ReadAllAsync(r => new Delivery(r.GetString(0), r.GetFieldValue<byte[]>(1), r.GetInt32(2), r.Time(3), r.NullableString(4)), ct)
            .ConfigureAwait(false);
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
}
