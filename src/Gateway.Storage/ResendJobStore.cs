using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

/// <summary>A paced bulk re-send with the fate of the envelopes it re-queued.</summary>
public sealed record ResendJobRow(long Id, string State, string? Counterpart, DateTimeOffset CreatedFrom, DateTimeOffset CreatedTo, int PerSecond,
    string Operator, string Reason, DateTimeOffset StartedAt, DateTimeOffset UpdatedAt, int Matched, int Requeued,
    int Acknowledged, int InFlight, int FailedAgain);

/// <summary>SQL of the paced bulk re-sends (0013_resend_jobs.sql).</summary>
public static class ResendJobStore
{
    public const string Running = "running", Stopped = "stopped", Done = "done";

    /// <summary>Largest number of envelopes one job takes on; a wider range is refused (split it).</summary>
    public const int MaxEnvelopes = 200_000;

    /// <summary>
    /// Creates the job with the failed envelopes in the range as they are now, oldest first. Returns null when more
    /// than <see cref="MaxEnvelopes"/> match (nothing is created).
    /// </summary>
    public static async Task<long?> CreateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string? counterpart, DateTimeOffset from, DateTimeOffset to,
        int perSecond, string @operator, string reason, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH matching AS (
                SELECT message_id, row_number() OVER (ORDER BY created_at, id) AS position FROM outbox
                WHERE status IN ('failed', 'awaiting_receipt') AND status = 'failed' AND created_at >= @from AND created_at < @to
                  AND (@counterpart::text IS NULL OR receiver = @counterpart)
                LIMIT @max + 1),
            job AS (
                INSERT INTO resend_jobs (state, counterpart, created_from, created_to, per_second, operator, reason, started_at, updated_at, matched)
                SELECT 'running', @counterpart, @from, @to, @per_second, @operator, @reason, @now, @now, count(*) FROM matching
                HAVING count(*) <= @max
                RETURNING id),
            items AS (
                INSERT INTO resend_job_items (job_id, position, message_id)
                SELECT job.id, m.position, m.message_id FROM job, matching m)
            SELECT id FROM job
            """)
            .With("counterpart", NpgsqlDbType.Text, counterpart)
            .WithTime("from", from).WithTime("to", to)
            .With("max", NpgsqlDbType.Integer, MaxEnvelopes)
            .With("per_second", NpgsqlDbType.Integer, perSecond)
            .With("operator", NpgsqlDbType.Text, @operator)
            .With("reason", NpgsqlDbType.Text, reason)
            .WithTime("now", now);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is long id ? id : null;
    }

    private const string Columns = """
        j.id, j.state, j.counterpart, j.created_from, j.created_to, j.per_second, j.operator, j.reason, j.started_at, j.updated_at,
        j.matched, j.requeued,
        (SELECT count(*) FILTER (WHERE o.status IN ('delivered', 'published')) FROM resend_job_items i JOIN outbox o USING (message_id)
            WHERE i.job_id = j.id AND i.requeued_at IS NOT NULL)::int,
        (SELECT count(*) FILTER (WHERE o.status IN ('pending', 'awaiting_receipt')) FROM resend_job_items i JOIN outbox o USING (message_id)
            WHERE i.job_id = j.id AND i.requeued_at IS NOT NULL)::int,
        (SELECT count(*) FILTER (WHERE o.status = 'failed') FROM resend_job_items i JOIN outbox o USING (message_id)
            WHERE i.job_id = j.id AND i.requeued_at IS NOT NULL)::int
        """;

    public static async Task<ResendJobRow?> GetAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long id, bool forUpdate, CancellationToken ct)
    {
        if (forUpdate)
        {
            await using var lockCmd = SqlHelpers.Command(conn, tx, "SELECT 1 FROM resend_jobs WHERE id = @id FOR UPDATE").With("id", NpgsqlDbType.Bigint, id);
            if (await lockCmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is null) return null;
        }
        await using var cmd = SqlHelpers.Command(conn, tx, $"SELECT {Columns} FROM resend_jobs j WHERE j.id = @id").With("id", NpgsqlDbType.Bigint, id);
        return (await cmd.ReadAllAsync(Map, ct).ConfigureAwait(false)).SingleOrDefault();
    }

    /// <summary>Newest first; <paramref name="beforeId"/> is the keyset.</summary>
    public static async Task<IReadOnlyList<ResendJobRow>> ListAsync(NpgsqlConnection conn, long? beforeId, int limit, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, null, $"""
            SELECT {Columns} FROM resend_jobs j WHERE (@before::bigint IS NULL OR j.id < @before) ORDER BY j.id DESC LIMIT @limit
            """).With("before", NpgsqlDbType.Bigint, beforeId).With("limit", NpgsqlDbType.Integer, limit);
        return await cmd.ReadAllAsync(Map, ct).ConfigureAwait(false);
    }

    public static async Task SetStateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long id, string state, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, "UPDATE resend_jobs SET state = @state, updated_at = @now WHERE id = @id")
            .With("id", NpgsqlDbType.Bigint, id).With("state", NpgsqlDbType.Text, state).WithTime("now", now);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>One running job no other instance is working on, locked for this transaction; null when none.</summary>
    public static async Task<(long Id, int PerSecond, DateTimeOffset UpdatedAt)?> ClaimRunningAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long afterId, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            SELECT id, per_second, updated_at FROM resend_jobs WHERE state = 'running' AND id > @after ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
            """).With("after", NpgsqlDbType.Bigint, afterId);
        var rows = await cmd.ReadAllAsync(r => (r.GetInt64(0), r.GetInt32(1), r.Time(2)), ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>
    /// Re-queues the job's next <paramref name="count"/> envelopes (those still failed; others were re-sent another way
    /// and are only ticked off). Marks the job done when none are left. Returns how many were taken.
    /// </summary>
    public static async Task<int> AdvanceAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long id, int count, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH next AS (
                SELECT position, message_id FROM resend_job_items
                WHERE job_id = @id AND requeued_at IS NULL ORDER BY position LIMIT @count),
            ticked AS (
                UPDATE resend_job_items i SET requeued_at = @now FROM next n WHERE i.job_id = @id AND i.position = n.position
                RETURNING i.message_id),
            requeued AS (
                UPDATE outbox o SET status = 'pending', attempts = 0, next_attempt_at = @now, last_error = NULL
                FROM ticked t WHERE o.message_id = t.message_id AND o.status = 'failed'
                RETURNING o.message_id),
            attempts AS (
                INSERT INTO outbox_attempts (message_id, attempt, at, outcome) SELECT message_id, 0, @now, 'requeued' FROM requeued),
            job AS (
                UPDATE resend_jobs SET requeued = requeued + (SELECT count(*) FROM requeued), updated_at = @now,
                    state = CASE WHEN (SELECT count(*) FROM ticked) < @count THEN 'done' ELSE state END
                WHERE id = @id)
            SELECT count(*)::int FROM ticked
            """)
            .With("id", NpgsqlDbType.Bigint, id).With("count", NpgsqlDbType.Integer, count).WithTime("now", now);
        return (int)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private static ResendJobRow Map(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.NullableString(2), r.Time(3), r.Time(4), r.GetInt32(5), r.GetString(6), r.GetString(7),
        r.Time(8), r.Time(9), r.GetInt32(10), r.GetInt32(11), r.GetInt32(12), r.GetInt32(13), r.GetInt32(14));
}
