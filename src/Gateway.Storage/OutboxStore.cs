using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

/// <summary>
/// Transactional outbox with reception awareness: envelopes are enqueued in the transaction that caused them,
/// claimed by a relay under a short lease, re-sent with backoff until a receipt arrives or the budget runs out.
/// </summary>
public sealed class OutboxStore
{
    private const string Columns = """
        id, message_id, message_type, receiver, topic, message_key, payload, correlation_id, needs_receipt,
        status, attempts, next_attempt_at, created_at, last_published_at, receipt_at, last_error
        """;

    private readonly Random _random;

    /// <param name="schedule">Backoff between sends and the retry budget.</param>
    /// <param name="lease">How long a claimed row stays hidden from other relays; after it the row is due again.</param>
    public OutboxStore(RetrySchedule? schedule = null, TimeSpan? lease = null, Random? random = null)
    {
        Schedule = schedule ?? RetrySchedule.Default;
        Lease = lease ?? TimeSpan.FromSeconds(30);
        _random = random ?? Random.Shared;
    }

    public RetrySchedule Schedule { get; }

    public TimeSpan Lease { get; }

    /// <summary>Adds an envelope in the caller's transaction. False when this message id is already there.</summary>
    public static Task<bool> EnqueueAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, OutboxMessage message, CancellationToken ct = default) =>
        EnqueueAsync(conn, tx, message, null, ct);

    /// <summary>
    /// How long a row written under an <see cref="OutboxCapture"/> waits before the relay may send it: the committing
    /// path hands it to the producer at once, and the relay is the fallback for rows a crash left behind.
    /// </summary>
    public static readonly TimeSpan HandOffLease = TimeSpan.FromSeconds(10);

    /// <param name="now">Creation time; null takes the transaction's clock.</param>
    public static async Task<bool> EnqueueAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, OutboxMessage message, DateTimeOffset? now, CancellationToken ct = default)
    {
        var capture = OutboxCapture.Current;
        // The message log's entry rides in the same statement (no extra round trip), and only for a new row.
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH inserted AS (
                INSERT INTO outbox (message_id, message_type, receiver, topic, message_key, payload, correlation_id,
                                    needs_receipt, status, attempts, next_attempt_at, created_at)
                VALUES (@message_id, @message_type, @receiver, @topic, @key, @payload, @correlation_id,
                        @needs_receipt, 'pending', 0, coalesce(@now, now()) + @hand_off, coalesce(@now, now()))
                ON CONFLICT (message_id) DO NOTHING
                RETURNING id, next_attempt_at, created_at),
            logged AS (
                INSERT INTO message_log (kind, message_id, message_type, sender, receiver, correlation_id, digest, at, envelope)
                SELECT @log_kind, @message_id, @message_type, @log_sender, @receiver, @correlation_id, @log_digest, created_at, @payload
                FROM inserted WHERE @log_digest::bytea IS NOT NULL)
            SELECT id, next_attempt_at, created_at FROM inserted
            """)
            .With("message_id", NpgsqlDbType.Text, message.MessageId)
            .With("message_type", NpgsqlDbType.Text, message.MessageType)
            .With("receiver", NpgsqlDbType.Text, message.Receiver)
            .With("topic", NpgsqlDbType.Text, message.Topic)
            .With("key", NpgsqlDbType.Text, message.Key)
            .With("payload", NpgsqlDbType.Bytea, message.Payload)
            .With("correlation_id", NpgsqlDbType.Text, message.CorrelationId)
            .With("needs_receipt", NpgsqlDbType.Boolean, message.NeedsReceipt)
            .With("now", NpgsqlDbType.TimestampTz, now?.ToUniversalTime())
            .With("hand_off", NpgsqlDbType.Interval, capture is null ? TimeSpan.Zero : HandOffLease)
            .With("log_kind", NpgsqlDbType.Text, message.Log?.Kind ?? MessageLogStore.Sent)
            .With("log_sender", NpgsqlDbType.Text, message.Log?.Sender)
            .With("log_digest", NpgsqlDbType.Bytea, message.Log?.Digest);
        var inserted = await cmd.ReadAllAsync(r => (Id: r.GetInt64(0), Due: r.Time(1), Created: r.Time(2)), ct).ConfigureAwait(false);
        if (inserted.Count == 0) return false;
        capture?.Add(new OutboxRow(inserted[0].Id, message.MessageId, message.MessageType, message.Receiver, message.Topic, message.Key,
            message.Payload, message.CorrelationId, message.NeedsReceipt, OutboxStatus.Pending, 0, inserted[0].Due, inserted[0].Created,
            null, null, null));
        return true;
    }

    /// <summary>
    /// Claims up to <paramref name="max"/> rows due for sending, oldest due first, and leases them so that a
    /// concurrent relay skips them. Rows whose budget is used up are left for <see cref="FailExhaustedAsync(NpgsqlConnection, NpgsqlTransaction?, DateTimeOffset, int, CancellationToken)"/>.
    /// </summary>
    public async Task<IReadOnlyList<OutboxRow>> ClaimDueAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, int max, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, $"""
            WITH due AS (
                SELECT id FROM outbox
                WHERE status IN ('pending', 'awaiting_receipt') AND next_attempt_at <= @now AND attempts < @budget
                ORDER BY next_attempt_at, id
                LIMIT @max
                FOR UPDATE SKIP LOCKED)
            UPDATE outbox o SET next_attempt_at = @lease_until
            FROM due WHERE o.id = due.id
            RETURNING {Prefixed("o")}
            """)
            .WithTime("now", now)
            .WithTime("lease_until", now + Lease)
            .With("budget", NpgsqlDbType.Integer, Schedule.Budget)
            .With("max", NpgsqlDbType.Integer, max);
        var rows = await cmd.ReadAllAsync(Map, ct).ConfigureAwait(false);
        // Publish in creation order so that envelopes sharing a key keep their order.
        rows.Sort((a, b) => a.Id.CompareTo(b.Id));
        return rows;
    }

    /// <summary>
    /// Claims in its own short transaction (the lease must commit before publishing), not durably: a lease lost
    /// in a crash only lets a row be claimed and sent again, which the receiver dedupes.
    /// </summary>
    public Task<IReadOnlyList<OutboxRow>> ClaimDueAsync(NodeDatabase db, int max, DateTimeOffset now, CancellationToken ct = default) =>
        db.InTransactionAsync(async (conn, tx, token) =>
        {
            await RelaxCommitAsync(conn, tx, token).ConfigureAwait(false);
            return await ClaimDueAsync(conn, tx, max, now, token).ConfigureAwait(false);
        }, ct);

    /// <summary>
    /// Records a successful send: one more attempt, then either awaiting a receipt (next send after the backoff)
    /// or published when none is expected. Rows whose receipt already arrived are left alone.
    /// </summary>
    public async Task<int> MarkPublishedAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyCollection<OutboxRow> rows, DateTimeOffset now, CancellationToken ct = default)
    {
        if (rows.Count == 0)
        {
            return 0;
        }
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH input AS (SELECT * FROM unnest(@ids, @delays) AS t(id, delay_ms)),
            updated AS (
                UPDATE outbox o SET
                    attempts = o.attempts + 1,
                    last_published_at = @now,
                    last_error = NULL,
                    status = CASE WHEN o.needs_receipt THEN 'awaiting_receipt' ELSE 'published' END,
                    next_attempt_at = @now + make_interval(secs => input.delay_ms / 1000.0)
                FROM input
                WHERE o.id = input.id AND o.status IN ('pending', 'awaiting_receipt')
                RETURNING o.message_id, o.attempts)
            INSERT INTO outbox_attempts (message_id, attempt, at, outcome)
            SELECT message_id, attempts, @now, 'published' FROM updated
            """);
        AddBackoff(cmd, rows);
        cmd.WithTime("now", now);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Records sends in their own short transaction with <c>synchronous_commit</c> off: this is relay bookkeeping,
    /// and losing it in a crash only means the row is sent again after its wait, which the receiver dedupes.
    /// The envelope itself and every state change were committed durably before.
    /// </summary>
    public Task<int> MarkPublishedAsync(NodeDatabase db, IReadOnlyCollection<OutboxRow> rows, DateTimeOffset now, CancellationToken ct = default) =>
        db.InTransactionAsync(async (conn, tx, token) =>
        {
            await RelaxCommitAsync(conn, tx, token).ConfigureAwait(false);
            return await MarkPublishedAsync(conn, tx, rows, now, token).ConfigureAwait(false);
        }, ct);

    /// <summary>This transaction's commit does not wait for the WAL flush (only for re-derivable bookkeeping).</summary>
    private static async Task RelaxCommitAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, "SET LOCAL synchronous_commit TO OFF");
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Records a failed send: it counts against the budget and the row waits for its backoff.</summary>
    public async Task<int> MarkPublishFailedAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyCollection<OutboxRow> rows, string error, DateTimeOffset now, CancellationToken ct = default)
    {
        if (rows.Count == 0)
        {
            return 0;
        }
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH input AS (SELECT * FROM unnest(@ids, @delays) AS t(id, delay_ms)),
            updated AS (
                UPDATE outbox o SET
                    attempts = o.attempts + 1,
                    last_error = @error,
                    next_attempt_at = @now + make_interval(secs => input.delay_ms / 1000.0)
                FROM input
                WHERE o.id = input.id AND o.status IN ('pending', 'awaiting_receipt')
                RETURNING o.message_id, o.attempts)
            INSERT INTO outbox_attempts (message_id, attempt, at, outcome, error)
            SELECT message_id, attempts, @now, 'publish_failed', @error FROM updated
            """);
        AddBackoff(cmd, rows);
        cmd.WithTime("now", now).With("error", NpgsqlDbType.Text, error);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Relay bookkeeping like <see cref="MarkPublishedAsync(NodeDatabase, IReadOnlyCollection{OutboxRow}, DateTimeOffset, CancellationToken)"/>: not durable on purpose.</summary>
    public Task<int> MarkPublishFailedAsync(NodeDatabase db, IReadOnlyCollection<OutboxRow> rows, string error, DateTimeOffset now, CancellationToken ct = default) =>
        db.InTransactionAsync(async (conn, tx, token) =>
        {
            await RelaxCommitAsync(conn, tx, token).ConfigureAwait(false);
            return await MarkPublishFailedAsync(conn, tx, rows, error, now, token).ConfigureAwait(false);
        }, ct);

    /// <summary>
    /// The receiver's receipt arrived: the envelopes it names are delivered. Counts only rows whose receiver is
    /// <paramref name="receiver"/> (the receipt's sender), in one statement for the whole receipt. Idempotent; a late
    /// receipt for a failed envelope also counts, because the other side did apply it. Returns rows changed.
    /// </summary>
    public static async Task<int> MarkReceiptsAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, string receiver, IReadOnlyCollection<string> messageIds, DateTimeOffset now, CancellationToken ct = default)
    {
        if (messageIds.Count == 0) return 0;
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH received AS (
                UPDATE outbox SET status = 'delivered', receipt_at = @now
                WHERE message_id = ANY(@ids) AND receiver = @receiver AND status IN ('pending', 'awaiting_receipt', 'failed')
                RETURNING message_id, attempts)
            INSERT INTO outbox_attempts (message_id, attempt, at, outcome)
            SELECT message_id, attempts, @now, 'receipt' FROM received
            """)
            .With("ids", NpgsqlDbType.Array | NpgsqlDbType.Text, messageIds.ToArray())
            .With("receiver", NpgsqlDbType.Text, receiver)
            .WithTime("now", now);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>One envelope's receipt (see <see cref="MarkReceiptsAsync"/>). True when it changed the row.</summary>
    public static async Task<bool> MarkReceiptAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, string receiver, string messageId, DateTimeOffset now, CancellationToken ct = default) =>
        await MarkReceiptsAsync(conn, tx, receiver, [messageId], now, ct).ConfigureAwait(false) == 1;

    /// <summary>
    /// Of <paramref name="messageIds"/>, those this node sent to a province other than <paramref name="receiver"/>:
    /// a receipt or rejection naming them is not the receiver's to give.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ForeignMessageIdsAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, string receiver, IReadOnlyCollection<string> messageIds, CancellationToken ct = default)
    {
        if (messageIds.Count == 0) return [];
        await using var cmd = SqlHelpers.Command(conn, tx,
                "SELECT message_id FROM outbox WHERE message_id = ANY(@ids) AND receiver <> @receiver ORDER BY message_id LIMIT 20")
            .With("ids", NpgsqlDbType.Array | NpgsqlDbType.Text, messageIds.ToArray())
            .With("receiver", NpgsqlDbType.Text, receiver);
        return await cmd.ReadAllAsync(r => r.GetString(0), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The receiver refused an envelope for good: it fails at once (re-sending cannot help). Only rows sent to
    /// <paramref name="receiver"/> count. Returns the failed row's correlation id (its exchange), or null when nothing changed.
    /// </summary>
    public static async Task<(bool Failed, string? CorrelationId, string? MessageType)> MarkRejectedAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, string receiver, string messageId, string reason, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH failed AS (
                UPDATE outbox SET status = 'failed', last_error = @reason
                WHERE message_id = @id AND receiver = @receiver AND status IN ('pending', 'awaiting_receipt')
                RETURNING message_id, attempts, correlation_id, message_type),
            history AS (
                INSERT INTO outbox_attempts (message_id, attempt, at, outcome, error)
                SELECT message_id, attempts, @now, 'rejected', @reason FROM failed)
            SELECT correlation_id, message_type FROM failed
            """)
            .With("id", NpgsqlDbType.Text, messageId)
            .With("receiver", NpgsqlDbType.Text, receiver)
            .With("reason", NpgsqlDbType.Text, "rejected by receiver: " + reason)
            .WithTime("now", now);
        var rows = await cmd.ReadAllAsync(r => (r.NullableString(0), r.GetString(1)), ct).ConfigureAwait(false);
        return rows.Count == 0 ? (false, null, null) : (true, rows[0].Item1, rows[0].Item2);
    }

    public Task<IReadOnlyList<OutboxRow>> FailExhaustedAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, DateTimeOffset now, CancellationToken ct = default) =>
        FailExhaustedAsync(conn, tx, now, Schedule.Budget, ct);

    /// <summary>
    /// Marks failed the rows that used up <paramref name="budget"/> sends and whose last wait has passed,
    /// and returns them so the caller can mark their exchanges failed for operators.
    /// </summary>
    public async Task<IReadOnlyList<OutboxRow>> FailExhaustedAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, DateTimeOffset now, int budget, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, $"""
            WITH exhausted AS (
                UPDATE outbox SET
                    status = 'failed',
                    last_error = 'retry budget used up after ' || attempts || ' attempts'
                                 || coalesce('; last error: ' || last_error, '; no receipt')
                WHERE status IN ('pending', 'awaiting_receipt') AND attempts >= @budget AND next_attempt_at <= @now
                RETURNING {Columns}),
            history AS (
                INSERT INTO outbox_attempts (message_id, attempt, at, outcome, error)
                SELECT message_id, attempts, @now, 'failed', last_error FROM exhausted)
            SELECT {Columns} FROM exhausted ORDER BY id
            """)
            .WithTime("now", now)
            .With("budget", NpgsqlDbType.Integer, budget);
        return await cmd.ReadAllAsync(Map, ct).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<OutboxRow>> FailExhaustedAsync(NodeDatabase db, DateTimeOffset now, CancellationToken ct = default) =>
        db.InTransactionAsync((conn, tx, token) => FailExhaustedAsync(conn, tx, now, token), ct);

    public static async Task<OutboxRow?> GetAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string messageId, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, $"SELECT {Columns} FROM outbox WHERE message_id = @message_id")
            .With("message_id", NpgsqlDbType.Text, messageId);
        var rows = await cmd.ReadAllAsync(Map, ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Operator listing, newest first, paged by id.</summary>
    public static async Task<OutboxPage> ListAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, OutboxQuery query, CancellationToken ct = default)
    {
        var limit = Math.Clamp(query.Limit, 1, 1000);
        await using var cmd = SqlHelpers.Command(conn, tx, $"""
            SELECT {Columns} FROM outbox
            WHERE (@status IS NULL OR status = @status)
              AND (@correlation_id IS NULL OR correlation_id = @correlation_id)
              AND (@before_id IS NULL OR id < @before_id)
            ORDER BY id DESC
            LIMIT @limit
            """)
            .With("status", NpgsqlDbType.Text, query.Status?.ToDb())
            .With("correlation_id", NpgsqlDbType.Text, query.CorrelationId)
            .With("before_id", NpgsqlDbType.Bigint, query.BeforeId)
            .With("limit", NpgsqlDbType.Integer, limit + 1);
        var rows = await cmd.ReadAllAsync(Map, ct).ConfigureAwait(false);
        long? next = null;
        if (rows.Count > limit)
        {
            rows.RemoveAt(limit);
            next = rows[^1].Id;
        }
        return new OutboxPage(rows, next);
    }

    /// <summary>Envelope counts per status, for dashboards and health.</summary>
    public static async Task<IReadOnlyDictionary<OutboxStatus, long>> CountByStatusAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, "SELECT status, count(*) FROM outbox GROUP BY status");
        var pairs = await cmd.ReadAllAsync(r => (OutboxStatusText.Parse(r.GetString(0)), r.GetInt64(1)), ct).ConfigureAwait(false);
        return pairs.ToDictionary(p => p.Item1, p => p.Item2);
    }

    public static async Task<IReadOnlyList<OutboxAttempt>> HistoryAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string messageId, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx,
            "SELECT message_id, attempt, at, outcome, error FROM outbox_attempts WHERE message_id = @message_id ORDER BY id")
            .With("message_id", NpgsqlDbType.Text, messageId);
        return await cmd.ReadAllAsync(r => new OutboxAttempt(r.GetString(0), r.GetInt32(1), r.Time(2), r.GetString(3), r.NullableString(4)), ct)
            .ConfigureAwait(false);
    }

    /// <summary>Operator replay of one failed envelope: back to pending with a fresh budget, audited.</summary>
    public static async Task<bool> RequeueAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, string messageId, string actor, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH requeued AS (
                UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = @now, last_error = NULL
                WHERE message_id = @message_id AND status = 'failed'
                RETURNING message_id)
            INSERT INTO outbox_attempts (message_id, attempt, at, outcome)
            SELECT message_id, 0, @now, 'requeued' FROM requeued
            """)
            .With("message_id", NpgsqlDbType.Text, messageId)
            .WithTime("now", now);
        var changed = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        if (changed)
        {
            await AuditLog.WriteAsync(conn, tx, actor, "outbox.requeue", messageId, null, now, ct).ConfigureAwait(false);
        }
        return changed;
    }

    /// <summary>Operator replay of every envelope that failed and was created within [from, to). Returns how many.</summary>
    public static async Task<int> RequeueFailedAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, DateTimeOffset from, DateTimeOffset to, string actor, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH requeued AS (
                UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = @now, last_error = NULL
                WHERE status = 'failed' AND created_at >= @from AND created_at < @to
                RETURNING message_id)
            INSERT INTO outbox_attempts (message_id, attempt, at, outcome)
            SELECT message_id, 0, @now, 'requeued' FROM requeued
            """)
            .WithTime("from", from)
            .WithTime("to", to)
            .WithTime("now", now);
        var count = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        var detail = JsonSerializer.Serialize(new { from = from.ToUniversalTime(), to = to.ToUniversalTime(), count });
        await AuditLog.WriteAsync(conn, tx, actor, "outbox.requeue_failed", null, detail, now, ct).ConfigureAwait(false);
        return count;
    }

    private void AddBackoff(NpgsqlCommand cmd, IReadOnlyCollection<OutboxRow> rows)
    {
        var ids = new long[rows.Count];
        var delays = new double[rows.Count];
        var i = 0;
        foreach (var row in rows)
        {
            ids[i] = row.Id;
            delays[i] = Schedule.DelayAfter(row.Attempts + 1, _random).TotalMilliseconds;
            i++;
        }
        cmd.With("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, ids)
           .With("delays", NpgsqlDbType.Array | NpgsqlDbType.Double, delays);
    }

    private static string Prefixed(string alias) =>
        string.Join(", ", Columns.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(c => $"{alias}.{c}"));

    internal static OutboxRow Map(NpgsqlDataReader r) => new(
        Id: r.GetInt64(0),
        MessageId: r.GetString(1),
        MessageType: r.GetString(2),
        Receiver: r.GetString(3),
        Topic: r.GetString(4),
        Key: r.GetString(5),
        Payload: r.GetFieldValue<byte[]>(6),
        CorrelationId: r.NullableString(7),
        NeedsReceipt: r.GetBoolean(8),
        Status: OutboxStatusText.Parse(r.GetString(9)),
        Attempts: r.GetInt32(10),
        NextAttemptAt: r.Time(11),
        CreatedAt: r.Time(12),
        LastPublishedAt: r.NullableTime(13),
        ReceiptAt: r.NullableTime(14),
        LastError: r.NullableString(15));
}
