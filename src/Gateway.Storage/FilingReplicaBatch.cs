using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

/// <summary>
/// Set-based apply of many filing replicas at once (a backfill page): one statement upserts every row whose version is
/// newer than the one held, tombstones included, and returns the ones that changed.
/// </summary>
public static class FilingReplicaBatch
{
    public static async Task<IReadOnlyList<FilingRow>> ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<FilingRow> rows,
        CancellationToken ct)
    {
        if (rows.Count == 0) return [];
        await using var cmd = SqlHelpers.Command(conn, tx, """
            INSERT INTO filings AS t (owner_province, filing_id, version, person_key, status, category, insutype, destination_province,
                destination_city, valid_from, valid_to, document, removed, delivered_to, last_action, last_reason, updated_at)
            SELECT o, i, v, p, s, c, k, d, city, vf, vt, doc, false, NULL, a, r, @now
            FROM unnest(@owners, @ids, @versions, @persons, @statuses, @categories, @insutypes, @dests, @cities, @froms, @tos,
                        @documents, @actions, @reasons) AS u(o, i, v, p, s, c, k, d, city, vf, vt, doc, a, r)
            ON CONFLICT (owner_province, filing_id) DO UPDATE SET version = excluded.version, person_key = excluded.person_key,
                status = excluded.status, category = excluded.category, insutype = excluded.insutype,
                destination_province = excluded.destination_province, destination_city = excluded.destination_city,
                valid_from = excluded.valid_from, valid_to = excluded.valid_to, document = excluded.document,
                removed = false, last_action = excluded.last_action, last_reason = excluded.last_reason, updated_at = excluded.updated_at
            WHERE excluded.version > t.version
            RETURNING filing_id
            """)
            .With("owners", NpgsqlDbType.Array | NpgsqlDbType.Text, rows.Select(r => r.OwnerProvince).ToArray())
            .With("ids", NpgsqlDbType.Array | NpgsqlDbType.Text, rows.Select(r => r.FilingId).ToArray())
            .With("versions", NpgsqlDbType.Array | NpgsqlDbType.Bigint, rows.Select(r => r.Version).ToArray())
            .With("persons", NpgsqlDbType.Array | NpgsqlDbType.Text, rows.Select(r => r.PersonKey).ToArray())
            .With("statuses", NpgsqlDbType.Array | NpgsqlDbType.Text, rows.Select(r => r.Status).ToArray())
            .With("categories", NpgsqlDbType.Array | NpgsqlDbType.Text, rows.Select(r => r.Category).ToArray())
            .With("insutypes", NpgsqlDbType.Array | NpgsqlDbType.Integer, rows.Select(r => r.Insutype).ToArray())
            .With("dests", NpgsqlDbType.Array | NpgsqlDbType.Text, rows.Select(r => r.DestinationProvince).ToArray())
            .With("cities", NpgsqlDbType.Array | NpgsqlDbType.Text, rows.Select(r => (object?)r.DestinationCity ?? DBNull.Value).ToArray())
            .With("froms", NpgsqlDbType.Array | NpgsqlDbType.Date, rows.Select(r => r.ValidFrom).ToArray())
            .With("tos", NpgsqlDbType.Array | NpgsqlDbType.Date, rows.Select(r => r.ValidTo is { } d ? (object)d : DBNull.Value).ToArray())
            .With("documents", NpgsqlDbType.Array | NpgsqlDbType.Bytea, rows.Select(r => r.Document).ToArray())
            .With("actions", NpgsqlDbType.Array | NpgsqlDbType.Text, rows.Select(r => r.LastAction).ToArray())
            .With("reasons", NpgsqlDbType.Array | NpgsqlDbType.Text, rows.Select(r => (object?)r.LastReason ?? DBNull.Value).ToArray())
            .WithTime("now", rows[0].UpdatedAt);
        var changed = (await cmd.ReadAllAsync(r => r.GetString(0), ct).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        return rows.Where(r => changed.Contains(r.FilingId)).ToList();
    }

    /// <summary>
    /// Owner: the current version of its filings for care in <paramref name="destination"/> whose person key falls in
    /// <paramref name="range"/>, after (<paramref name="afterPersonKey"/>, <paramref name="afterFilingId"/>) in byte order
    /// (a stable cursor), at most <paramref name="limit"/>.
    /// </summary>
    public static async Task<IReadOnlyList<FilingRow>> OwnedForDestinationAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string owner,
        string destination, PersonKeyRange range, string afterPersonKey, string afterFilingId, int limit, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            SELECT owner_province, filing_id, version, person_key, status, category, insutype, destination_province, destination_city,
                   valid_from, valid_to, document, removed, delivered_to, last_action, last_reason, updated_at, row_no
            FROM filings
            WHERE destination_province = @dest AND owner_province = @owner AND NOT removed
              AND person_key COLLATE "C" >= @lo AND (@hi::text IS NULL OR person_key COLLATE "C" < @hi)
              AND (person_key COLLATE "C", filing_id COLLATE "C") > (@after_pk, @after_id)
            ORDER BY person_key COLLATE "C", filing_id COLLATE "C"
            LIMIT @limit
            """)
            .With("owner", NpgsqlDbType.Text, owner)
            .With("dest", NpgsqlDbType.Text, destination)
            .With("lo", NpgsqlDbType.Text, range.From)
            .With("hi", NpgsqlDbType.Text, range.Before)
            .With("after_pk", NpgsqlDbType.Text, afterPersonKey)
            .With("after_id", NpgsqlDbType.Text, afterFilingId)
            .With("limit", NpgsqlDbType.Integer, limit);
        return await cmd.ReadAllAsync(FilingStore.Read, ct).ConfigureAwait(false);
    }
}

/// <summary>A range of person keys (lower-case hex): from <see cref="From"/> inclusive to <see cref="Before"/> exclusive (null: to the end).</summary>
public sealed record PersonKeyRange(string From, string? Before)
{
    public static readonly PersonKeyRange All = new("", null);

    /// <summary>Slice <paramref name="slice"/> of <paramref name="slices"/> equal ranges by the key's first hex digit (slices: 1, 2, 4, 8 or 16).</summary>
    public static PersonKeyRange Slice(int slice, int slices)
    {
        if (slices is not (1 or 2 or 4 or 8 or 16) || slice < 0 || slice >= slices)
            throw new ArgumentOutOfRangeException(nameof(slice), $"slice {slice} of {slices}: slices are 1, 2, 4, 8 or 16");
        var width = 16 / slices;
        return new(slice == 0 ? "" : (slice * width).ToString("x"), slice == slices - 1 ? null : ((slice + 1) * width).ToString("x"));
    }
}
