using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

/// <summary>A task for the province system (look up facts, debit, credit). The id is stable so the province applies it at most once.</summary>
/// <param name="TraceParent">W3C trace context of the step that created it (tracing only; null when none).</param>
public sealed record WorkItem(string ItemId, string Kind, string? TransferId, byte[] Payload, DateTimeOffset CreatedAt, string? TraceParent = null);

public enum WorkItemStatus
{
    Pending,
    Answered,
    Cancelled,
}

public sealed record WorkItemState(
    WorkItem Item,
    WorkItemStatus Status,
    DateTimeOffset? AnsweredAt,
    byte[]? Answer,
    int DeliveryCount);

/// <summary>Work items handed to the province system, and its answers.</summary>
public static class WorkItemStore
{
    private const string Columns = "item_id, kind, transfer_id, payload, created_at, status, answered_at, answer, delivery_count, trace_parent";

    /// <summary>Adds the item in the caller's transaction. False when the id exists (ids are deterministic).</summary>
    public static async Task<bool> AddAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, WorkItem item, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            INSERT INTO work_items (item_id, kind, transfer_id, payload, status, created_at, delivery_count, trace_parent)
            VALUES (@item_id, @kind, @transfer_id, @payload, 'pending', @created_at, 0, @trace_parent)
            ON CONFLICT (item_id) DO NOTHING
            """)
            .With("item_id", NpgsqlDbType.Text, item.ItemId)
            .With("kind", NpgsqlDbType.Text, item.Kind)
            .With("transfer_id", NpgsqlDbType.Text, item.TransferId)
            .With("payload", NpgsqlDbType.Bytea, item.Payload)
            .WithTime("created_at", item.CreatedAt)
            .With("trace_parent", NpgsqlDbType.Text, item.TraceParent);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    public static async Task<WorkItemState?> GetAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string itemId, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, $"SELECT {Columns} FROM work_items WHERE item_id = @item_id")
            .With("item_id", NpgsqlDbType.Text, itemId);
        var rows = await cmd.ReadAllAsync(Map, ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>
    /// Records the province system's answer if the item is still pending. Returns the status it had before
    /// (Answered means a repeated answer, which must not act again), or null for an unknown id.
    /// </summary>
    public static Task<WorkItemStatus?> MarkAnsweredAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, string itemId, byte[] answer, DateTimeOffset now, CancellationToken ct = default) =>
        TransitionAsync(conn, tx, itemId, "answered", answer, now, ct);

    /// <summary>Withdraws a pending item; returns the status it had before, or null for an unknown id.</summary>
    public static Task<WorkItemStatus?> MarkCancelledAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, string itemId, DateTimeOffset now, CancellationToken ct = default) =>
        TransitionAsync(conn, tx, itemId, "cancelled", null, now, ct);

    private static async Task<WorkItemStatus?> TransitionAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, string itemId, string target, byte[]? answer, DateTimeOffset now, CancellationToken ct)
    {
        // The row lock makes a concurrent second answer wait and then see 'answered'.
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH previous AS (SELECT item_id, status FROM work_items WHERE item_id = @item_id FOR UPDATE),
            changed AS (
                UPDATE work_items w SET status = @target, answered_at = @now, answer = @answer
                FROM previous WHERE w.item_id = previous.item_id AND previous.status = 'pending')
            SELECT status FROM previous
            """)
            .With("item_id", NpgsqlDbType.Text, itemId)
            .With("target", NpgsqlDbType.Text, target)
            .With("answer", NpgsqlDbType.Bytea, answer)
            .WithTime("now", now);
        var result = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return result is string status ? ParseStatus(status) : null;
    }

    private static WorkItemStatus ParseStatus(string text) => text switch
    {
        "pending" => WorkItemStatus.Pending,
        "answered" => WorkItemStatus.Answered,
        "cancelled" => WorkItemStatus.Cancelled,
        _ => throw new InvalidOperationException($"Unknown work item status '{text}'."),
    };

    private static WorkItemState Map(NpgsqlDataReader r) => new(
        new WorkItem(r.GetString(0), r.GetString(1), r.NullableString(2), r.GetFieldValue<byte[]>(3), r.Time(4), r.NullableString(9)),
        ParseStatus(r.GetString(5)),
        r.NullableTime(6),
        r.NullableBytes(7),
        r.GetInt32(8));
}
