using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

public sealed record BackfillProgressRow(
    string RunId,
    string OwnerProvince,
    string Kind,
    int Slice,
    string Cursor,
    long Pages,
    long RecordsReceived,
    long RecordsApplied,
    bool Done,
    bool KindUnknown,
    DateTimeOffset UpdatedAt);

public sealed record BackfillRunRow(string RunId, DateTimeOffset StartedAt, string Reason, IReadOnlyList<BackfillProgressRow> Progress);

/// <summary>Backfill runs this node asked for, and each owner's progress: the cursor it resumes from after a crash.</summary>
public static class BackfillStore
{
    private const string ProgressColumns =
        "run_id, owner_province, kind, slice, cursor, pages, records_received, records_applied, done, kind_unknown, updated_at";

    public static async Task CreateRunAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string runId, string reason,
        IReadOnlyList<(string Owner, string Kind, int Slice)> parts, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            INSERT INTO backfill_runs (run_id, started_at, reason) VALUES (@run, @now, @reason);
            INSERT INTO backfill_progress (run_id, owner_province, kind, slice, updated_at)
            SELECT @run, o, k, s, @now FROM unnest(@owners, @kinds, @slices) AS p(o, k, s)
            """)
            .With("run", NpgsqlDbType.Text, runId)
            .With("reason", NpgsqlDbType.Text, reason)
            .With("owners", NpgsqlDbType.Array | NpgsqlDbType.Text, parts.Select(p => p.Owner).ToArray())
            .With("kinds", NpgsqlDbType.Array | NpgsqlDbType.Text, parts.Select(p => p.Kind).ToArray())
            .With("slices", NpgsqlDbType.Array | NpgsqlDbType.Integer, parts.Select(p => p.Slice).ToArray())
            .WithTime("now", now);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The progress row, locked until the caller's transaction ends (one page of a slice is applied at a time), and the
    /// number of slices the run split this owner and kind into (as stored when it started).
    /// </summary>
    public static async Task<(BackfillProgressRow Row, int Slices)?> LockProgressAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string runId,
        string owner, string kind, int slice, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, $"""
            SELECT {ProgressColumns},
                   (SELECT count(*)::int FROM backfill_progress s WHERE s.run_id = p.run_id AND s.owner_province = p.owner_province AND s.kind = p.kind)
            FROM backfill_progress p
            WHERE run_id = @run AND owner_province = @owner AND kind = @kind AND slice = @slice
            FOR UPDATE
            """)
            .With("run", NpgsqlDbType.Text, runId)
            .With("owner", NpgsqlDbType.Text, owner)
            .With("kind", NpgsqlDbType.Text, kind)
            .With("slice", NpgsqlDbType.Integer, slice);
        var rows = await cmd.ReadAllAsync(r => (MapProgress(r), r.GetInt32(11)), ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public static async Task RecordPageAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string runId, string owner, string kind, int slice,
        string nextCursor, int received, int applied, bool done, bool kindUnknown, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            UPDATE backfill_progress
            SET cursor = @cursor, pages = pages + 1, records_received = records_received + @received,
                records_applied = records_applied + @applied, done = @done, kind_unknown = @unknown, updated_at = @now
            WHERE run_id = @run AND owner_province = @owner AND kind = @kind AND slice = @slice
            """)
            .With("run", NpgsqlDbType.Text, runId)
            .With("owner", NpgsqlDbType.Text, owner)
            .With("kind", NpgsqlDbType.Text, kind)
            .With("slice", NpgsqlDbType.Integer, slice)
            .With("cursor", NpgsqlDbType.Text, nextCursor)
            .With("received", NpgsqlDbType.Integer, received)
            .With("applied", NpgsqlDbType.Integer, applied)
            .With("done", NpgsqlDbType.Boolean, done)
            .With("unknown", NpgsqlDbType.Boolean, kindUnknown)
            .WithTime("now", now);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public static async Task<BackfillRunRow?> GetRunAsync(NpgsqlConnection conn, string runId, CancellationToken ct = default)
    {
        var runs = await ReadRunsAsync(conn, "WHERE r.run_id = @run", c => c.With("run", NpgsqlDbType.Text, runId), 1, ct).ConfigureAwait(false);
        return runs.Count == 0 ? null : runs[0];
    }

    /// <summary>Runs newest first; <paramref name="before"/> is the (started_at, run_id) of the last run of the previous page.</summary>
    public static Task<IReadOnlyList<BackfillRunRow>> ListRunsAsync(NpgsqlConnection conn, (DateTimeOffset StartedAt, string RunId)? before,
        int limit, CancellationToken ct = default) =>
        before is { } b
            ? ReadRunsAsync(conn, "WHERE (r.started_at, r.run_id) < (@at, @run)",
                c => c.WithTime("at", b.StartedAt).With("run", NpgsqlDbType.Text, b.RunId), limit, ct)
            : ReadRunsAsync(conn, "", _ => { }, limit, ct);

    private static async Task<IReadOnlyList<BackfillRunRow>> ReadRunsAsync(NpgsqlConnection conn, string where,
        Action<NpgsqlCommand> bind, int limit, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, null, $"""
            SELECT r.run_id, r.started_at, r.reason FROM backfill_runs r {where}
            ORDER BY r.started_at DESC, r.run_id DESC LIMIT @limit
            """).With("limit", NpgsqlDbType.Integer, limit);
        bind(cmd);
        var runs = await cmd.ReadAllAsync(r => (RunId: r.GetString(0), StartedAt: r.Time(1), Reason: r.GetString(2)), ct).ConfigureAwait(false);
        if (runs.Count == 0) return [];

        await using var progress = SqlHelpers.Command(conn, null, $"""
            SELECT {ProgressColumns} FROM backfill_progress WHERE run_id = ANY(@runs) ORDER BY run_id, owner_province, kind, slice
            """).With("runs", NpgsqlDbType.Array | NpgsqlDbType.Text, runs.Select(r => r.RunId).ToArray());
        var rows = (await progress.ReadAllAsync(MapProgress, ct).ConfigureAwait(false)).ToLookup(p => p.RunId);
        return runs.Select(r => new BackfillRunRow(r.RunId, r.StartedAt, r.Reason, rows[r.RunId].ToList())).ToList();
    }

    private static BackfillProgressRow MapProgress(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetString(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7),
        r.GetBoolean(8), r.GetBoolean(9), r.Time(10));
}
