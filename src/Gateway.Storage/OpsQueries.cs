using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

/// <summary>Keyset position in a list ordered by (created_at, key).</summary>
public sealed record OpsCursor(DateTimeOffset At, string Key);

/// <summary>A transfer row in one of the stored conditions (held, returned, open for overdue).</summary>
public sealed record OpsTransferRow(TransferRecord Record, DateTimeOffset CreatedAt);

/// <summary>An outbound envelope failed or waiting for its receipt.</summary>
public sealed record OpsEnvelopeRow(long Id, string MessageId, string MessageType, string Receiver, string? CorrelationId, string Status,
    int Attempts, DateTimeOffset CreatedAt, string? LastError);

/// <summary>A work item the province system has not answered.</summary>
public sealed record OpsWorkItemRow(string ItemId, string Kind, string? TransferId, DateTimeOffset CreatedAt, int DeliveryCount, DateTimeOffset? LastDeliveredAt);

/// <summary>A received envelope as the inbox recorded it.</summary>
public sealed record OpsInboxRow(string MessageId, string MessageType, string Sender, DateTimeOffset ReceivedAt);

/// <summary>An operator action as the audit trail keeps it.</summary>
public sealed record OpsAuditRow(long Id, DateTimeOffset At, string Operator, string Action, string? Subject, string? Reason, string? Result,
    string? TransferId, string? DetailJson);

public sealed record OpsWorkItemStoryRow(string ItemId, string Kind, string Status, DateTimeOffset CreatedAt, DateTimeOffset? AnsweredAt, int DeliveryCount, byte[]? Answer);

/// <summary>SQL of the operators' service: condition lists by keyset over partial indexes (0012_ops.sql), counts, stories, audit.</summary>
public static class OpsQueries
{
    public enum TransferCondition { Open, Held, Returned }

    private const string TransferColumns = """
        transfer_id, role, state, origin_province, destination_province, certificate_number, certno,
        accepted_on, letter_sent_on, letter_received_on, withdrawal_requested_on, letter_returned_on,
        return_reason, return_text, info_table_on, table_amount_fen, transferred_amount_fen, completed_on,
        credited_amount_fen, acknowledged_on, withdrawn_on, exchange_failed, failure_reason, letter, info_table,
        version, updated_at, hold_reason, continuity, created_at
        """;

    /// <summary>The predicate matching each partial index of 0012 exactly, so the planner uses it.</summary>
    private static string Where(TransferCondition c) => c switch
    {
        TransferCondition.Open => "state NOT IN ('Acknowledged', 'Withdrawn', 'LetterReturned')",
        TransferCondition.Held => "hold_reason IS NOT NULL",
        TransferCondition.Returned => "state = 'LetterReturned'",
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    public static async Task<IReadOnlyList<OpsTransferRow>> TransfersAsync(NpgsqlConnection conn, TransferCondition condition, string? counterpart,
        DateTimeOffset? from, DateTimeOffset? to, OpsCursor? after, int limit, CancellationToken ct)
    {
        var keyset = after is null ? "" : "AND (created_at, transfer_id) > (@after_at, @after_key)";
        await using var cmd = SqlHelpers.Command(conn, null, $"""
            SELECT {TransferColumns} FROM transfers
            WHERE {Where(condition)} {keyset}
              AND (@from::timestamptz IS NULL OR created_at >= @from) AND (@to::timestamptz IS NULL OR created_at < @to)
              AND (@counterpart::text IS NULL OR CASE WHEN role = 'Origin' THEN destination_province ELSE origin_province END = @counterpart)
            ORDER BY created_at, transfer_id
            LIMIT @limit
            """)
            .With("from", NpgsqlDbType.TimestampTz, from?.ToUniversalTime())
            .With("to", NpgsqlDbType.TimestampTz, to?.ToUniversalTime())
            .With("counterpart", NpgsqlDbType.Text, counterpart)
            .With("limit", NpgsqlDbType.Integer, limit);
        if (after is not null) cmd.WithTime("after_at", after.At).With("after_key", NpgsqlDbType.Text, after.Key);
        return await cmd.ReadAllAsync(r => new OpsTransferRow(TransferStore.Read(r), r.Time(29)), ct).ConfigureAwait(false);
    }

    /// <param name="status">failed or awaiting_receipt.</param>
    public static async Task<IReadOnlyList<OpsEnvelopeRow>> EnvelopesAsync(NpgsqlConnection conn, string status, string? counterpart,
        DateTimeOffset? from, DateTimeOffset? to, OpsCursor? after, int limit, CancellationToken ct)
    {
        var keyset = after is null ? "" : "AND (created_at, id) > (@after_at, @after_id)";
        await using var cmd = SqlHelpers.Command(conn, null, $"""
            SELECT id, message_id, message_type, receiver, correlation_id, status, attempts, created_at, last_error FROM outbox
            WHERE status IN ('failed', 'awaiting_receipt') AND status = @status {keyset}
              AND (@from::timestamptz IS NULL OR created_at >= @from) AND (@to::timestamptz IS NULL OR created_at < @to)
              AND (@counterpart::text IS NULL OR receiver = @counterpart)
            ORDER BY created_at, id
            LIMIT @limit
            """)
            .With("status", NpgsqlDbType.Text, status)
            .With("from", NpgsqlDbType.TimestampTz, from?.ToUniversalTime())
            .With("to", NpgsqlDbType.TimestampTz, to?.ToUniversalTime())
            .With("counterpart", NpgsqlDbType.Text, counterpart)
            .With("limit", NpgsqlDbType.Integer, limit);
        if (after is not null) cmd.WithTime("after_at", after.At).With("after_id", NpgsqlDbType.Bigint, long.Parse(after.Key, System.Globalization.CultureInfo.InvariantCulture));
        return await cmd.ReadAllAsync(MapEnvelope, ct).ConfigureAwait(false);
    }

    /// <summary>Pending work items created before <paramref name="createdBefore"/> (unanswered longer than the threshold).</summary>
    public static async Task<IReadOnlyList<OpsWorkItemRow>> WaitingWorkItemsAsync(NpgsqlConnection conn, DateTimeOffset createdBefore,
        DateTimeOffset? from, DateTimeOffset? to, OpsCursor? after, int limit, CancellationToken ct)
    {
        var keyset = after is null ? "" : "AND (created_at, item_id) > (@after_at, @after_key)";
        await using var cmd = SqlHelpers.Command(conn, null, $"""
            SELECT item_id, kind, transfer_id, created_at, delivery_count, last_delivered_at FROM work_items
            WHERE status = 'pending' AND created_at < @before {keyset}
              AND (@from::timestamptz IS NULL OR created_at >= @from) AND (@to::timestamptz IS NULL OR created_at < @to)
            ORDER BY created_at, item_id
            LIMIT @limit
            """)
            .WithTime("before", createdBefore)
            .With("from", NpgsqlDbType.TimestampTz, from?.ToUniversalTime())
            .With("to", NpgsqlDbType.TimestampTz, to?.ToUniversalTime())
            .With("limit", NpgsqlDbType.Integer, limit);
        if (after is not null) cmd.WithTime("after_at", after.At).With("after_key", NpgsqlDbType.Text, after.Key);
        return await cmd.ReadAllAsync(r => new OpsWorkItemRow(r.GetString(0), r.GetString(1), r.NullableString(2), r.Time(3), r.GetInt32(4), r.NullableTime(5)), ct)
            .ConfigureAwait(false);
    }

    /// <summary>Counts per counterpart of the stored conditions, each over its partial index.</summary>
    public static async Task<IReadOnlyList<(string Condition, string Counterpart, long Count)>> CountAsync(NpgsqlConnection conn, DateTimeOffset waitingCreatedBefore, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, null, """
            SELECT status, receiver, count(*) FROM outbox WHERE status IN ('failed', 'awaiting_receipt') GROUP BY status, receiver
            UNION ALL
            SELECT 'held', CASE WHEN role = 'Origin' THEN destination_province ELSE origin_province END, count(*)
              FROM transfers WHERE hold_reason IS NOT NULL GROUP BY 2
            UNION ALL
            SELECT 'returned', CASE WHEN role = 'Origin' THEN destination_province ELSE origin_province END, count(*)
              FROM transfers WHERE state = 'LetterReturned' GROUP BY 2
            UNION ALL
            SELECT 'waiting_province', '', count(*) FROM work_items WHERE status = 'pending' AND created_at < @before
            """)
            .WithTime("before", waitingCreatedBefore);
        return await cmd.ReadAllAsync(r => (r.GetString(0), r.GetString(1), r.GetInt64(2)), ct).ConfigureAwait(false);
    }

    public static async Task<(long All, long Rerunnable)> CountDeadLettersAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, null, "SELECT count(*), count(*) FILTER (WHERE NOT never_rerun) FROM dead_letters");
        var rows = await cmd.ReadAllAsync(r => (r.GetInt64(0), r.GetInt64(1)), ct).ConfigureAwait(false);
        return rows[0];
    }

    /// <summary>Dead letters oldest first by first-seen time, filtered by time and reason prefix.</summary>
    public static async Task<IReadOnlyList<DeadLetterRow>> DeadLettersAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, DateTimeOffset? from,
        DateTimeOffset? to, string? reasonPrefix, OpsCursor? after, int limit, CancellationToken ct)
    {
        var keyset = after is null ? "" : "AND (first_seen_at, id) > (@after_at, @after_id)";
        await using var cmd = SqlHelpers.Command(conn, tx, $"""
            SELECT id, message_id, topic, partition, "offset", message_key, payload, reason, first_seen_at, last_seen_at, rerun_count, never_rerun
            FROM dead_letters
            WHERE (@from::timestamptz IS NULL OR first_seen_at >= @from) AND (@to::timestamptz IS NULL OR first_seen_at < @to)
              AND (@prefix::text IS NULL OR starts_with(reason, @prefix)) {keyset}
            ORDER BY first_seen_at, id
            LIMIT @limit
            """)
            .With("from", NpgsqlDbType.TimestampTz, from?.ToUniversalTime())
            .With("to", NpgsqlDbType.TimestampTz, to?.ToUniversalTime())
            .With("prefix", NpgsqlDbType.Text, reasonPrefix)
            .With("limit", NpgsqlDbType.Integer, limit);
        if (after is not null) cmd.WithTime("after_at", after.At).With("after_id", NpgsqlDbType.Bigint, long.Parse(after.Key, System.Globalization.CultureInfo.InvariantCulture));
        return await cmd.ReadAllAsync(r => new DeadLetterRow(
            r.GetInt64(0), r.NullableString(1), r.GetString(2), r.GetInt32(3), r.GetInt64(4), r.NullableString(5),
            r.NullableBytes(6), r.GetString(7), r.Time(8), r.Time(9), r.GetInt32(10), r.GetBoolean(11)), ct).ConfigureAwait(false);
    }

    /// <summary>Locks the dead letter for one re-apply, so two operators' re-applies of it run one after the other.</summary>
    public static async Task<DeadLetterRow?> LockDeadLetterAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long id, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, "SELECT id FROM dead_letters WHERE id = @id FOR UPDATE").With("id", NpgsqlDbType.Bigint, id);
        if (await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is null) return null;
        return await DeadLetterStore.GetAsync(conn, tx, id, ct).ConfigureAwait(false);
    }

    /// <summary>Counts a re-run and keeps the latest outcome as the dead letter's reason when it is still refused.</summary>
    public static async Task CountRerunAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long id, string? stillRefusedReason, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            UPDATE dead_letters SET rerun_count = rerun_count + 1, reason = coalesce(@reason, reason),
                   last_seen_at = CASE WHEN @reason IS NULL THEN last_seen_at ELSE @now END
            WHERE id = @id
            """)
            .With("id", NpgsqlDbType.Bigint, id).With("reason", NpgsqlDbType.Text, stillRefusedReason).WithTime("now", now);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public static async Task<bool> SetNeverRerunAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long id, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, "UPDATE dead_letters SET never_rerun = true WHERE id = @id AND NOT never_rerun")
            .With("id", NpgsqlDbType.Bigint, id);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    /// <summary>Failed envelopes for one counterpart (or all) created in [from, to), at most <paramref name="max"/>, locked for the re-send.</summary>
    public static async Task<IReadOnlyList<string>> LockFailedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string? counterpart,
        DateTimeOffset from, DateTimeOffset to, int max, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            SELECT message_id FROM outbox
            WHERE status IN ('failed', 'awaiting_receipt') AND status = 'failed' AND created_at >= @from AND created_at < @to
              AND (@counterpart::text IS NULL OR receiver = @counterpart)
            ORDER BY created_at, id
            LIMIT @max
            FOR UPDATE
            """)
            .WithTime("from", from).WithTime("to", to)
            .With("counterpart", NpgsqlDbType.Text, counterpart)
            .With("max", NpgsqlDbType.Integer, max);
        return await cmd.ReadAllAsync(r => r.GetString(0), ct).ConfigureAwait(false);
    }

    /// <summary>Back to pending with a fresh budget (from the outbox: the broker's retention never matters). Returns how many.</summary>
    public static async Task<int> RequeueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyCollection<string> messageIds, DateTimeOffset now, CancellationToken ct)
    {
        if (messageIds.Count == 0) return 0;
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH requeued AS (
                UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = @now, last_error = NULL
                WHERE message_id = ANY(@ids) AND status = 'failed'
                RETURNING message_id)
            INSERT INTO outbox_attempts (message_id, attempt, at, outcome)
            SELECT message_id, 0, @now, 'requeued' FROM requeued
            """)
            .With("ids", NpgsqlDbType.Array | NpgsqlDbType.Text, messageIds.ToArray())
            .WithTime("now", now);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Makes a pending work item due on the next stream poll. Returns its status before, or null when unknown.</summary>
    public static async Task<string?> RedeliverWorkItemAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string itemId, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH previous AS (SELECT item_id, status, transfer_id FROM work_items WHERE item_id = @id FOR UPDATE),
            changed AS (UPDATE work_items w SET last_delivered_at = NULL FROM previous p WHERE w.item_id = p.item_id AND p.status = 'pending')
            SELECT status FROM previous
            """).With("id", NpgsqlDbType.Text, itemId);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
    }

    public static async Task<string?> WorkItemTransferAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string itemId, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, "SELECT transfer_id FROM work_items WHERE item_id = @id").With("id", NpgsqlDbType.Text, itemId);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
    }

    /// <summary>Writes the operator action to the audit trail and, in the same transaction, its message log entry.</summary>
    public static async Task<long> AuditAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string @operator, string action, string? subject,
        string reason, string result, string? transferId, string? detailJson, DateTimeOffset at, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            INSERT INTO audit_log (at, actor, action, subject, detail, reason, result, transfer_id)
            VALUES (@at, @actor, @action, @subject, @detail, @reason, @result, @transfer_id)
            RETURNING id, at, detail::text
            """)
            .WithTime("at", at)
            .With("actor", NpgsqlDbType.Text, @operator)
            .With("action", NpgsqlDbType.Text, action)
            .With("subject", NpgsqlDbType.Text, subject)
            .With("detail", NpgsqlDbType.Jsonb, detailJson)
            .With("reason", NpgsqlDbType.Text, reason)
            .With("result", NpgsqlDbType.Text, result)
            .With("transfer_id", NpgsqlDbType.Text, transferId);
        var row = (await cmd.ReadAllAsync(r => (Id: r.GetInt64(0), At: r.Time(1), Detail: r.NullableString(2)), ct).ConfigureAwait(false))[0];
        // Digest of the row as stored (PostgreSQL's time and jsonb text), so it can be recomputed from audit_log.
        await MessageLogStore.AppendAuditAsync(conn, tx, row.Id, row.At, @operator, action, subject, reason, result, transferId, row.Detail, ct)
            .ConfigureAwait(false);
        return row.Id;
    }

    private const string AuditColumns = "id, at, actor, action, subject, reason, result, transfer_id, detail::text";

    /// <summary>Newest first; <paramref name="beforeId"/> is the keyset.</summary>
    public static async Task<IReadOnlyList<OpsAuditRow>> AuditTrailAsync(NpgsqlConnection conn, long? beforeId, int limit, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, null, $"""
            SELECT {AuditColumns} FROM audit_log WHERE (@before::bigint IS NULL OR id < @before) ORDER BY id DESC LIMIT @limit
            """).With("before", NpgsqlDbType.Bigint, beforeId).With("limit", NpgsqlDbType.Integer, limit);
        return await cmd.ReadAllAsync(MapAudit, ct).ConfigureAwait(false);
    }

    public static async Task<IReadOnlyList<OpsAuditRow>> AuditForTransferAsync(NpgsqlConnection conn, string transferId, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, null, $"SELECT {AuditColumns} FROM audit_log WHERE transfer_id = @id ORDER BY id LIMIT 1000")
            .With("id", NpgsqlDbType.Text, transferId);
        return await cmd.ReadAllAsync(MapAudit, ct).ConfigureAwait(false);
    }

    public static async Task<IReadOnlyList<OpsEnvelopeRow>> SentForTransferAsync(NpgsqlConnection conn, string transferId, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, null, """
            SELECT id, message_id, message_type, receiver, correlation_id, status, attempts, created_at, last_error FROM outbox
            WHERE correlation_id = @id AND needs_receipt ORDER BY id LIMIT 1000
            """).With("id", NpgsqlDbType.Text, transferId);
        return await cmd.ReadAllAsync(MapEnvelope, ct).ConfigureAwait(false);
    }

    public static async Task<IReadOnlyList<OutboxRow>> SentRowsForTransferAsync(NpgsqlConnection conn, string transferId, CancellationToken ct)
    {
        var page = await OutboxStore.ListAsync(conn, null, new OutboxQuery(CorrelationId: transferId, Limit: 1000), ct).ConfigureAwait(false);
        return page.Rows;
    }

    public static async Task<IReadOnlyList<OpsInboxRow>> ReceivedForTransferAsync(NpgsqlConnection conn, string transferId, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, null, """
            SELECT message_id, message_type, sender, received_at FROM inbox WHERE split_part(message_id, ':', 2) = @id ORDER BY received_at, message_id LIMIT 1000
            """).With("id", NpgsqlDbType.Text, transferId);
        return await cmd.ReadAllAsync(r => new OpsInboxRow(r.GetString(0), r.GetString(1), r.GetString(2), r.Time(3)), ct).ConfigureAwait(false);
    }

    public static async Task<IReadOnlyList<DeadLetterRow>> DeadLettersForTransferAsync(NpgsqlConnection conn, string transferId, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, null, """
            SELECT id, message_id, topic, partition, "offset", message_key, payload, reason, first_seen_at, last_seen_at, rerun_count, never_rerun
            FROM dead_letters WHERE message_key = @id ORDER BY id LIMIT 1000
            """).With("id", NpgsqlDbType.Text, transferId);
        return await cmd.ReadAllAsync(r => new DeadLetterRow(
            r.GetInt64(0), r.NullableString(1), r.GetString(2), r.GetInt32(3), r.GetInt64(4), r.NullableString(5),
            r.NullableBytes(6), r.GetString(7), r.Time(8), r.Time(9), r.GetInt32(10), r.GetBoolean(11)), ct).ConfigureAwait(false);
    }

    public static async Task<IReadOnlyList<OpsWorkItemStoryRow>> WorkItemsForTransferAsync(NpgsqlConnection conn, string transferId, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, null, """
            SELECT item_id, kind, status, created_at, answered_at, delivery_count, answer FROM work_items WHERE transfer_id = @id ORDER BY created_at, item_id LIMIT 1000
            """).With("id", NpgsqlDbType.Text, transferId);
        return await cmd.ReadAllAsync(r => new OpsWorkItemStoryRow(r.GetString(0), r.GetString(1), r.GetString(2), r.Time(3), r.NullableTime(4), r.GetInt32(5), r.NullableBytes(6)), ct)
            .ConfigureAwait(false);
    }

    private static OpsEnvelopeRow MapEnvelope(NpgsqlDataReader r) => new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3),
        r.NullableString(4), r.GetString(5), r.GetInt32(6), r.Time(7), r.NullableString(8));

    private static OpsAuditRow MapAudit(NpgsqlDataReader r) => new(r.GetInt64(0), r.Time(1), r.GetString(2), r.GetString(3), r.NullableString(4),
        r.NullableString(5), r.NullableString(6), r.NullableString(7), r.NullableString(8));
}
