using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

/// <summary>A poison record as read from Kafka; the message id is null when the envelope could not even be parsed.</summary>
public sealed record DeadLetter(
    string? MessageId,
    string Topic,
    int Partition,
    long Offset,
    string? Key,
    byte[]? Payload,
    string Reason);

public sealed record DeadLetterRow(
    long Id,
    string? MessageId,
    string Topic,
    int Partition,
    long Offset,
    string? Key,
    byte[]? Payload,
    string Reason,
    DateTimeOffset FirstSeenAt,
    DateTimeOffset LastSeenAt,
    int RerunCount,
    bool NeverRerun);

/// <summary>Dead-letter table: last error, re-run count and a "never re-run" flag, as operators expect.</summary>
public static class DeadLetterStore
{
    private const string Columns =
        "id, message_id, topic, partition, \"offset\", message_key, payload, reason, first_seen_at, last_seen_at, rerun_count, never_rerun";

    /// <summary>Adds the record, or refreshes reason and last-seen time when the same position comes back. Returns its id.</summary>
    public static Task<long> AddAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, DeadLetter letter, DateTimeOffset now, CancellationToken ct = default) =>
        AddAsync(conn, tx, letter, now, log: null, ct);

    /// <param name="log">The message log's "dead_lettered" entry, appended in the same statement when the position is new
    /// (a redelivery of the same record is not a second arrival).</param>
    public static async Task<long> AddAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, DeadLetter letter, DateTimeOffset now, MessageLogEntry? log, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH added AS (
                INSERT INTO dead_letters (message_id, topic, partition, "offset", message_key, payload, reason, first_seen_at, last_seen_at)
                VALUES (@letter_id, @topic, @partition, @offset, @key, @payload, @reason, @now, @now)
                ON CONFLICT (topic, partition, "offset") DO UPDATE
                    SET reason = EXCLUDED.reason, last_seen_at = EXCLUDED.last_seen_at
                RETURNING id, xmax = 0 AS is_new, first_seen_at),
            logged AS (
                INSERT INTO message_log (kind, message_id, message_type, sender, receiver, correlation_id, digest, at, envelope)
                SELECT @kind, @message_id, @message_type, @sender, @receiver, @correlation_id, @digest, first_seen_at, @payload
                FROM added WHERE is_new AND @digest::bytea IS NOT NULL)
            SELECT id FROM added
            """)
            .With("letter_id", NpgsqlDbType.Text, letter.MessageId)
            .With("topic", NpgsqlDbType.Text, letter.Topic)
            .With("partition", NpgsqlDbType.Integer, letter.Partition)
            .With("offset", NpgsqlDbType.Bigint, letter.Offset)
            .With("key", NpgsqlDbType.Text, letter.Key)
            .With("payload", NpgsqlDbType.Bytea, letter.Payload)
            .With("reason", NpgsqlDbType.Text, letter.Reason)
            .WithTime("now", now);
        MessageLogStore.With(cmd, log);
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>Newest first, paged by id; <paramref name="rerunnableOnly"/> hides the ones flagged never to re-run.</summary>
    public static async Task<IReadOnlyList<DeadLetterRow>> ListAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, bool rerunnableOnly = false, long? beforeId = null, int limit = 50, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, $"""
            SELECT {Columns} FROM dead_letters
            WHERE (NOT @rerunnable_only OR NOT never_rerun) AND (@before_id IS NULL OR id < @before_id)
            ORDER BY id DESC
            LIMIT @limit
            """)
            .With("rerunnable_only", NpgsqlDbType.Boolean, rerunnableOnly)
            .With("before_id", NpgsqlDbType.Bigint, beforeId)
            .With("limit", NpgsqlDbType.Integer, Math.Clamp(limit, 1, 1000));
        return await cmd.ReadAllAsync(Map, ct).ConfigureAwait(false);
    }

    public static async Task<DeadLetterRow?> GetAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long id, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, $"SELECT {Columns} FROM dead_letters WHERE id = @id")
            .With("id", NpgsqlDbType.Bigint, id);
        var rows = await cmd.ReadAllAsync(Map, ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Counts an operator re-run (refused for records flagged never to re-run), audited.</summary>
    public static async Task<bool> MarkRerunAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, long id, string actor, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx,
            "UPDATE dead_letters SET rerun_count = rerun_count + 1 WHERE id = @id AND NOT never_rerun")
            .With("id", NpgsqlDbType.Bigint, id);
        var changed = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        if (changed)
        {
            await AuditLog.WriteAsync(conn, tx, actor, "dead_letter.rerun", id.ToString(System.Globalization.CultureInfo.InvariantCulture), null, now, ct)
                .ConfigureAwait(false);
        }
        return changed;
    }

    public static async Task<bool> SetNeverRerunAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, long id, bool neverRerun, string actor, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, "UPDATE dead_letters SET never_rerun = @flag WHERE id = @id")
            .With("id", NpgsqlDbType.Bigint, id)
            .With("flag", NpgsqlDbType.Boolean, neverRerun);
        var changed = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        if (changed)
        {
            await AuditLog.WriteAsync(conn, tx, actor, "dead_letter.never_rerun",
                id.ToString(System.Globalization.CultureInfo.InvariantCulture), JsonSerializer.Serialize(new { never_rerun = neverRerun }), now, ct)
                .ConfigureAwait(false);
        }
        return changed;
    }

    private static DeadLetterRow Map(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.NullableString(1), r.GetString(2), r.GetInt32(3), r.GetInt64(4), r.NullableString(5),
        r.NullableBytes(6), r.GetString(7), r.Time(8), r.Time(9), r.GetInt32(10), r.GetBoolean(11));
}
