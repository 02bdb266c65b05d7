using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

public sealed record AuditEntry(long Id, DateTimeOffset At, string Actor, string Action, string? Subject, string? DetailJson);

/// <summary>Append-only trail of operator and system actions, written in the transaction of the action itself.</summary>
public static class AuditLog
{
    /// <param name="detailJson">A JSON document, or null.</param>
    /// <param name="at">When it happened; null takes the transaction's clock.</param>
    public static async Task<long> WriteAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, string actor, string action, string? subject, string? detailJson,
        DateTimeOffset? at = null, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            INSERT INTO audit_log (at, actor, action, subject, detail)
            VALUES (coalesce(@at, now()), @actor, @action, @subject, @detail)
            RETURNING id
            """)
            .With("at", NpgsqlDbType.TimestampTz, at?.ToUniversalTime())
            .With("actor", NpgsqlDbType.Text, actor)
            .With("action", NpgsqlDbType.Text, action)
            .With("subject", NpgsqlDbType.Text, subject)
            .With("detail", NpgsqlDbType.Jsonb, detailJson);
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>Newest first, optionally for one subject, paged by id.</summary>
    public static async Task<IReadOnlyList<AuditEntry>> ListAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, string? subject = null, long? beforeId = null, int limit = 50, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            SELECT id, at, actor, action, subject, detail::text FROM audit_log
            WHERE (@subject IS NULL OR subject = @subject) AND (@before_id IS NULL OR id < @before_id)
            ORDER BY id DESC
            LIMIT @limit
            """)
            .With("subject", NpgsqlDbType.Text, subject)
            .With("before_id", NpgsqlDbType.Bigint, beforeId)
            .With("limit", NpgsqlDbType.Integer, Math.Clamp(limit, 1, 1000));
        return await cmd.ReadAllAsync(r => new AuditEntry(
            r.GetInt64(0), r.Time(1), r.GetString(2), r.GetString(3), r.NullableString(4), r.NullableString(5)), ct).ConfigureAwait(false);
    }
}
