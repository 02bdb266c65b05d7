using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

/// <summary>One row of the filings table: an owned filing or a replica held as province of care.</summary>
public sealed record FilingRow(
    string OwnerProvince,
    string FilingId,
    long Version,
    string PersonKey,
    string Status,
    string Category,
    int Insutype,
    string DestinationProvince,
    string? DestinationCity,
    DateOnly ValidFrom,
    DateOnly? ValidTo,
    byte[] Document,
    bool Removed,
    string? DeliveredTo,
    string LastAction,
    string? LastReason,
    DateTimeOffset UpdatedAt,
    long RowNo = 0);

/// <summary>Filters of a filing list; null means "any".</summary>
public sealed record FilingFilter(
    string Self,
    bool Owned,
    string? Category = null,
    string? Status = null,
    DateOnly? ValidOn = null,
    string? Counterpart = null);

/// <summary>SQL for the filings table. Callers pass the transaction, so a change, its envelopes and its change-log entry commit together.</summary>
public static class FilingStore
{
    private const string Columns = """
        owner_province, filing_id, version, person_key, status, category, insutype, destination_province, destination_city,
        valid_from, valid_to, document, removed, delivered_to, last_action, last_reason, updated_at
        """;

    private const string ReadColumns = Columns + ", row_no";

    private const string Values = """
        @owner, @id, @version, @person_key, @status, @category, @insutype, @dest, @city,
        @valid_from, @valid_to, @document, @removed, @delivered_to, @action, @reason, @updated_at
        """;

    /// <summary>The owner files a new filing; false when the id is taken (nothing written).</summary>
    public static async Task<bool> InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, FilingRow row, CancellationToken ct)
    {
        await using var cmd = Bind(SqlHelpers.Command(conn, tx,
            $"INSERT INTO filings ({Columns}) VALUES ({Values}) ON CONFLICT (owner_province, filing_id) DO NOTHING"), row);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    /// <summary>The owner's next version, read with <paramref name="previousVersion"/> under the row lock.</summary>
    public static async Task UpdateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, FilingRow row, long previousVersion, CancellationToken ct)
    {
        await using var cmd = Bind(SqlHelpers.Command(conn, tx, """
            UPDATE filings SET version = @version, person_key = @person_key, status = @status, category = @category,
                insutype = @insutype, destination_province = @dest, destination_city = @city, valid_from = @valid_from,
                valid_to = @valid_to, document = @document, removed = @removed, delivered_to = @delivered_to,
                last_action = @action, last_reason = @reason, updated_at = @updated_at
            WHERE owner_province = @owner AND filing_id = @id AND version = @previous
            """), row).With("previous", NpgsqlDbType.Bigint, previousVersion);
        if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1)
            throw new StoreConflictException($"Filing {row.OwnerProvince}/{row.FilingId} changed concurrently; the unit of work is retried.");
    }

    /// <summary>
    /// Province of care: applies a replica's version only when it is newer than the row's (a tombstone's too), so an older
    /// or repeated version is a no-op. True when the row changed.
    /// </summary>
    public static async Task<bool> ApplyReplicaAsync(NpgsqlConnection conn, NpgsqlTransaction tx, FilingRow row, CancellationToken ct)
    {
        await using var cmd = Bind(SqlHelpers.Command(conn, tx, $"""
            INSERT INTO filings AS t ({Columns}) VALUES ({Values})
            ON CONFLICT (owner_province, filing_id) DO UPDATE SET version = excluded.version, person_key = excluded.person_key,
                status = excluded.status, category = excluded.category, insutype = excluded.insutype,
                destination_province = excluded.destination_province, destination_city = excluded.destination_city,
                valid_from = excluded.valid_from, valid_to = excluded.valid_to, document = excluded.document,
                removed = excluded.removed, delivered_to = excluded.delivered_to, last_action = excluded.last_action,
                last_reason = excluded.last_reason, updated_at = excluded.updated_at
            WHERE excluded.version > t.version
            """), row);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// Province of care: the filing moved away. Turns the row into a tombstone at <paramref name="version"/> when that is
    /// newer; the last content stays for the record. True when the row changed.
    /// </summary>
    public static async Task<bool> RemoveReplicaAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string owner, string filingId, long version,
        string action, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            UPDATE filings SET version = @version, removed = true, last_action = @action, last_reason = NULL, updated_at = @now
            WHERE owner_province = @owner AND filing_id = @id AND version < @version
            """)
            .With("owner", NpgsqlDbType.Text, owner)
            .With("id", NpgsqlDbType.Text, filingId)
            .With("version", NpgsqlDbType.Bigint, version)
            .With("action", NpgsqlDbType.Text, action)
            .WithTime("now", now);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    public static async Task<FilingRow?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string owner, string filingId, bool forUpdate,
        CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx,
                $"SELECT {ReadColumns} FROM filings WHERE owner_province = @owner AND filing_id = @id" + (forUpdate ? " FOR UPDATE" : ""))
            .With("owner", NpgsqlDbType.Text, owner)
            .With("id", NpgsqlDbType.Text, filingId);
        var rows = await cmd.ReadAllAsync(Read, ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>
    /// One page of owned (owner = self) or held (owner ≠ self, not removed) filings in arrival order (row_no), after
    /// <paramref name="afterRowNo"/>.
    /// </summary>
    public static async Task<IReadOnlyList<FilingRow>> ListAsync(NpgsqlConnection conn, FilingFilter filter, long afterRowNo, int limit,
        CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, null, $"""
            SELECT {ReadColumns} FROM filings
            WHERE {(filter.Owned ? "owner_province = @self" : "owner_province <> @self")} AND NOT removed
              AND (@category::text IS NULL OR category = @category)
              AND (@status::text IS NULL OR status = @status)
              AND (@valid_on::date IS NULL OR (valid_from <= @valid_on AND (valid_to IS NULL OR valid_to >= @valid_on)))
              AND (@counterpart::text IS NULL OR {(filter.Owned ? "destination_province" : "owner_province")} = @counterpart)
              AND row_no > @after
            ORDER BY row_no
            LIMIT @limit
            """)
            .With("self", NpgsqlDbType.Text, filter.Self)
            .With("category", NpgsqlDbType.Text, filter.Category)
            .With("status", NpgsqlDbType.Text, filter.Status)
            .With("valid_on", NpgsqlDbType.Date, filter.ValidOn)
            .With("counterpart", NpgsqlDbType.Text, filter.Counterpart)
            .With("after", NpgsqlDbType.Bigint, afterRowNo)
            .With("limit", NpgsqlDbType.Integer, limit);
        return await cmd.ReadAllAsync(Read, ct).ConfigureAwait(false);
    }

    /// <summary>A person's owned and held filings (tombstones left out), most recently updated first, at most <paramref name="limit"/>.</summary>
    public static async Task<IReadOnlyList<FilingRow>> ForPersonAsync(NpgsqlConnection conn, string personKey, int limit, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, null, $"""
            SELECT {ReadColumns} FROM filings WHERE person_key = @person_key AND NOT removed
            ORDER BY updated_at DESC, owner_province, filing_id
            LIMIT @limit
            """)
            .With("person_key", NpgsqlDbType.Text, personKey)
            .With("limit", NpgsqlDbType.Integer, limit);
        return await cmd.ReadAllAsync(Read, ct).ConfigureAwait(false);
    }

    private static NpgsqlCommand Bind(NpgsqlCommand cmd, FilingRow r) => cmd
        .With("owner", NpgsqlDbType.Text, r.OwnerProvince)
        .With("id", NpgsqlDbType.Text, r.FilingId)
        .With("version", NpgsqlDbType.Bigint, r.Version)
        .With("person_key", NpgsqlDbType.Text, r.PersonKey)
        .With("status", NpgsqlDbType.Text, r.Status)
        .With("category", NpgsqlDbType.Text, r.Category)
        .With("insutype", NpgsqlDbType.Integer, r.Insutype)
        .With("dest", NpgsqlDbType.Text, r.DestinationProvince)
        .With("city", NpgsqlDbType.Text, r.DestinationCity)
        .With("valid_from", NpgsqlDbType.Date, r.ValidFrom)
        .With("valid_to", NpgsqlDbType.Date, r.ValidTo)
        .With("document", NpgsqlDbType.Bytea, r.Document)
        .With("removed", NpgsqlDbType.Boolean, r.Removed)
        .With("delivered_to", NpgsqlDbType.Text, r.DeliveredTo)
        .With("action", NpgsqlDbType.Text, r.LastAction)
        .With("reason", NpgsqlDbType.Text, r.LastReason)
        .WithTime("updated_at", r.UpdatedAt);

    internal static FilingRow Read(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt32(6), r.GetString(7),
        r.NullableString(8), r.GetFieldValue<DateOnly>(9), r.IsDBNull(10) ? null : r.GetFieldValue<DateOnly>(10),
        r.GetFieldValue<byte[]>(11), r.GetBoolean(12), r.NullableString(13), r.GetString(14), r.NullableString(15), r.Time(16),
        r.GetInt64(17));
}
