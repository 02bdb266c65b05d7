using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

/// <summary>One applied change of a synced record, as the change log keeps it.</summary>
public sealed record RecordChange(
    long Seq,
    string Kind,
    string OwnerProvince,
    string RecordId,
    string PersonKey,
    long Version,
    string Change,
    byte[]? Payload,
    DateTimeOffset AppliedAt);

/// <summary>
/// The append-only log of record changes this node applied, read from a cursor by watchers. Appends run inside the
/// transaction that changed the record, so a change is logged exactly when it takes effect.
/// </summary>
public static class RecordChangeLog
{
    public const string Upsert = "upsert";
    public const string Removed = "removed";

    // Names "record change log sequencer" among this database's advisory locks.
    private const long SequenceLockKey = 0x6777_7263_6c6f_0001;

    /// <summary>
    /// Appends in the caller's transaction, taking no shared lock: the change gets its seq once it is committed and a
    /// reader sequences it (<see cref="SequenceAsync"/>). Returns the insertion id.
    /// </summary>
    public static async Task<long> AppendAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string kind, string ownerProvince,
        string recordId, string personKey, long version, string change, byte[]? payload, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            INSERT INTO record_changes (kind, owner_province, record_id, person_key, version, change, payload, applied_at)
            VALUES (@kind, @owner, @record_id, @person_key, @version, @change, @payload, @now)
            RETURNING id
            """)
            .With("kind", NpgsqlDbType.Text, kind)
            .With("owner", NpgsqlDbType.Text, ownerProvince)
            .With("record_id", NpgsqlDbType.Text, recordId)
            .With("person_key", NpgsqlDbType.Text, personKey)
            .With("version", NpgsqlDbType.Bigint, version)
            .With("change", NpgsqlDbType.Text, change)
            .With("payload", NpgsqlDbType.Bytea, payload)
            .WithTime("now", now);
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Gives every committed, unsequenced change its seq, in insertion order, at most <paramref name="limit"/> per call.
    /// One sequencer at a time (a transaction-level advisory lock, tried, not waited for: when another reader holds it,
    /// its seqs become visible when it commits, all above what this reader has seen). Returns how many it sequenced.
    /// </summary>
    public static async Task<int> SequenceAsync(NpgsqlConnection conn, int limit = 5_000, CancellationToken ct = default)
    {
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH turn AS (SELECT pg_try_advisory_xact_lock(@lock) AS mine),
                 pending AS (
                     SELECT id FROM record_changes
                     WHERE seq IS NULL AND (SELECT mine FROM turn)
                     ORDER BY id LIMIT @limit),
                 numbered AS (SELECT id, nextval('record_change_seq') AS seq FROM (SELECT id FROM pending ORDER BY id) o)
            UPDATE record_changes r SET seq = n.seq FROM numbered n WHERE r.id = n.id
            """)
            .With("lock", NpgsqlDbType.Bigint, SequenceLockKey)
            .With("limit", NpgsqlDbType.Integer, limit);
        var sequenced = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return sequenced;
    }

    /// <summary>Appends many changes in one statement (a backfill page), in list order, like <see cref="AppendAsync"/>.</summary>
    public static async Task AppendManyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string kind,
        IReadOnlyList<(string Owner, string RecordId, string PersonKey, long Version, string Change, byte[]? Payload)> changes,
        DateTimeOffset now, CancellationToken ct = default)
    {
        if (changes.Count == 0) return;
        await using var cmd = SqlHelpers.Command(conn, tx, """
            INSERT INTO record_changes (kind, owner_province, record_id, person_key, version, change, payload, applied_at)
            SELECT @kind, o, r, p, v, c, b, @now
            FROM unnest(@owners, @records, @persons, @versions, @changes, @payloads) WITH ORDINALITY AS u(o, r, p, v, c, b, n)
            ORDER BY n
            """)
            .With("kind", NpgsqlDbType.Text, kind)
            .With("owners", NpgsqlDbType.Array | NpgsqlDbType.Text, changes.Select(c => c.Owner).ToArray())
            .With("records", NpgsqlDbType.Array | NpgsqlDbType.Text, changes.Select(c => c.RecordId).ToArray())
            .With("persons", NpgsqlDbType.Array | NpgsqlDbType.Text, changes.Select(c => c.PersonKey).ToArray())
            .With("versions", NpgsqlDbType.Array | NpgsqlDbType.Bigint, changes.Select(c => c.Version).ToArray())
            .With("changes", NpgsqlDbType.Array | NpgsqlDbType.Text, changes.Select(c => c.Change).ToArray())
            .With("payloads", NpgsqlDbType.Array | NpgsqlDbType.Bytea, changes.Select(c => (object?)c.Payload ?? DBNull.Value).ToArray())
            .WithTime("now", now);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Changes after <paramref name="cursor"/> in seq order, at most <paramref name="limit"/>, optionally of one kind.
    /// Sequences what has committed first, so the page includes every change committed before the call.
    /// </summary>
    public static async Task<IReadOnlyList<RecordChange>> ReadAfterAsync(NpgsqlConnection conn, long cursor, int limit, string? kind = null,
        CancellationToken ct = default)
    {
        await SequenceAsync(conn, ct: ct).ConfigureAwait(false);
        await using var cmd = SqlHelpers.Command(conn, null, """
            SELECT seq, kind, owner_province, record_id, person_key, version, change, payload, applied_at
            FROM record_changes
            WHERE seq > @cursor AND seq IS NOT NULL AND (@kind::text IS NULL OR kind = @kind)
            ORDER BY seq
            LIMIT @limit
            """)
            .With("cursor", NpgsqlDbType.Bigint, cursor)
            .With("kind", NpgsqlDbType.Text, kind)
            .With("limit", NpgsqlDbType.Integer, limit);
        return await cmd.ReadAllAsync(r => new RecordChange(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
            r.GetInt64(5), r.GetString(6), r.NullableBytes(7), r.Time(8)), ct).ConfigureAwait(false);
    }

    /// <summary>The highest seq logged so far (0 when empty): where a watcher that wants only new changes starts.</summary>
    public static async Task<long> HeadAsync(NpgsqlConnection conn, CancellationToken ct = default)
    {
        await SequenceAsync(conn, ct: ct).ConfigureAwait(false);
        await using var cmd = SqlHelpers.Command(conn, null, "SELECT COALESCE(MAX(seq), 0) FROM record_changes");
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }
}
