using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

/// <summary>One enrolment record as a node holds it; <see cref="Document"/> is the record's protobuf as applied.</summary>
public sealed record StoredEnrolmentRecord(
    string OwnerProvince,
    string RecordId,
    string PersonKey,
    long Version,
    string PoolingRegion,
    int InsuranceType,
    int Status,
    string PaidFrom,
    string PaidTo,
    int Basis,
    bool CurrentEmployment,
    byte[] Document,
    DateTimeOffset AppliedAt,
    string? IndexProvince = null);

/// <summary>A duplicate enrolment found by, or reported to, this node.</summary>
public sealed record StoredDuplicateFinding(
    string FindingId,
    string PersonKey,
    string Kind,
    string PeriodFrom,
    string PeriodTo,
    string Resolution,
    byte[] Document,
    DateTimeOffset FoundAt,
    DateTimeOffset? AcknowledgedAt = null);

/// <summary>Enrolment records (own and replicas) and duplicate findings.</summary>
public static class EnrolmentStore
{
    private const string RecordColumns =
        "owner_province, record_id, person_key, version, insuplc_admdvs, insutype, status, paid_from, paid_to, basis, current_employment, document, applied_at, index_province";

    /// <summary>Most records one person may have in a read: far above any real history, and it bounds every answer.</summary>
    public const int MaxRecordsPerPerson = 200;

    // Names "enrolment person" among this database's advisory locks; the person key's hash completes the key.
    private const int PersonLockSpace = 0x656e_726c;

    /// <summary>
    /// Serialises every change of one person's records at this node until commit, so the duplicate check after a
    /// change always sees the changes committed before it (two records of one person arriving at once would
    /// otherwise each miss the other).
    /// </summary>
    public static async Task LockPersonAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string personKey, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, "SELECT pg_advisory_xact_lock(@space, hashtext(@person_key))")
            .With("space", NpgsqlDbType.Integer, PersonLockSpace)
            .With("person_key", NpgsqlDbType.Text, personKey);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The owner's current version and person of a record (locked for the caller's transaction), or null when new.</summary>
    public static async Task<(long Version, string PersonKey)?> LockOwnAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string owner, string recordId,
        CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            SELECT version, person_key FROM enrolment_records WHERE owner_province = @owner AND record_id = @record_id FOR UPDATE
            """)
            .With("owner", NpgsqlDbType.Text, owner)
            .With("record_id", NpgsqlDbType.Text, recordId);
        var rows = await cmd.ReadAllAsync(r => (r.GetInt64(0), r.GetString(1)), ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>
    /// Inserts the record, or replaces it only with a higher version (the version guard). True when the row changed;
    /// false when this node already holds this or a newer version, which is then left as it is.
    /// </summary>
    public static async Task<bool> UpsertIfNewerAsync(NpgsqlConnection conn, NpgsqlTransaction tx, StoredEnrolmentRecord r, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, $"""
            INSERT INTO enrolment_records ({RecordColumns})
            VALUES (@owner, @record_id, @person_key, @version, @region, @insutype, @status, @paid_from, @paid_to, @basis, @current, @document, @applied_at, @index)
            ON CONFLICT (owner_province, record_id) DO UPDATE SET
                person_key = excluded.person_key, version = excluded.version, insuplc_admdvs = excluded.insuplc_admdvs,
                insutype = excluded.insutype, status = excluded.status, paid_from = excluded.paid_from, paid_to = excluded.paid_to,
                basis = excluded.basis, current_employment = excluded.current_employment, document = excluded.document,
                applied_at = excluded.applied_at, index_province = excluded.index_province
            WHERE excluded.version > enrolment_records.version
            """)
            .With("owner", NpgsqlDbType.Text, r.OwnerProvince)
            .With("record_id", NpgsqlDbType.Text, r.RecordId)
            .With("person_key", NpgsqlDbType.Text, r.PersonKey)
            .With("version", NpgsqlDbType.Bigint, r.Version)
            .With("region", NpgsqlDbType.Text, r.PoolingRegion)
            .With("insutype", NpgsqlDbType.Integer, r.InsuranceType)
            .With("status", NpgsqlDbType.Integer, r.Status)
            .With("paid_from", NpgsqlDbType.Text, r.PaidFrom)
            .With("paid_to", NpgsqlDbType.Text, r.PaidTo)
            .With("basis", NpgsqlDbType.Integer, r.Basis)
            .With("current", NpgsqlDbType.Boolean, r.CurrentEmployment)
            .With("document", NpgsqlDbType.Bytea, r.Document)
            .WithTime("applied_at", r.AppliedAt)
            .With("index", NpgsqlDbType.Text, r.IndexProvince);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    /// <summary>Every record of one person this node holds (at most <see cref="MaxRecordsPerPerson"/>), by owner then record id.</summary>
    public static async Task<IReadOnlyList<StoredEnrolmentRecord>> ForPersonAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string personKey,
        CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, $"""
            SELECT {RecordColumns} FROM enrolment_records WHERE person_key = @person_key
            ORDER BY owner_province, record_id LIMIT @limit
            """)
            .With("person_key", NpgsqlDbType.Text, personKey)
            .With("limit", NpgsqlDbType.Integer, MaxRecordsPerPerson);
        return await cmd.ReadAllAsync(MapRecord, ct).ConfigureAwait(false);
    }

    public static async Task<StoredEnrolmentRecord?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string owner, string recordId,
        CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, $"SELECT {RecordColumns} FROM enrolment_records WHERE owner_province = @owner AND record_id = @record_id")
            .With("owner", NpgsqlDbType.Text, owner)
            .With("record_id", NpgsqlDbType.Text, recordId);
        var rows = await cmd.ReadAllAsync(MapRecord, ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Records the finding; false when its id is known already (it was notified then).</summary>
    public static async Task<bool> AddFindingAsync(NpgsqlConnection conn, NpgsqlTransaction tx, StoredDuplicateFinding f, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            INSERT INTO duplicate_findings (finding_id, person_key, kind, period_from, period_to, resolution, document, found_at)
            VALUES (@id, @person_key, @kind, @from, @to, @resolution, @document, @found_at)
            ON CONFLICT (finding_id) DO NOTHING
            """)
            .With("id", NpgsqlDbType.Text, f.FindingId)
            .With("person_key", NpgsqlDbType.Text, f.PersonKey)
            .With("kind", NpgsqlDbType.Text, f.Kind)
            .With("from", NpgsqlDbType.Text, f.PeriodFrom)
            .With("to", NpgsqlDbType.Text, f.PeriodTo)
            .With("resolution", NpgsqlDbType.Text, f.Resolution)
            .With("document", NpgsqlDbType.Bytea, f.Document)
            .WithTime("found_at", f.FoundAt);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    /// <summary>Marks the finding taken up by this province's system (first acknowledgement wins). False for an unknown id.</summary>
    public static async Task<bool> AcknowledgeFindingAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string findingId, DateTimeOffset now,
        CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            UPDATE duplicate_findings SET acknowledged_at = COALESCE(acknowledged_at, @now) WHERE finding_id = @id
            """)
            .With("id", NpgsqlDbType.Text, findingId)
            .WithTime("now", now);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    public static async Task<StoredDuplicateFinding?> FindFindingAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string findingId, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            SELECT finding_id, person_key, kind, period_from, period_to, resolution, document, found_at, acknowledged_at
            FROM duplicate_findings WHERE finding_id = @id
            """)
            .With("id", NpgsqlDbType.Text, findingId);
        var rows = await cmd.ReadAllAsync(r => new StoredDuplicateFinding(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
            r.GetString(4), r.GetString(5), r.GetFieldValue<byte[]>(6), r.Time(7), r.NullableTime(8)), ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    private static StoredEnrolmentRecord MapRecord(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4), r.GetInt32(5), r.GetInt32(6),
        r.GetString(7), r.GetString(8), r.GetInt32(9), r.GetBoolean(10), r.GetFieldValue<byte[]>(11), r.Time(12), r.NullableString(13));

    /// <summary>
    /// Owner: its own records of persons indexed at <paramref name="indexProvince"/> whose person key is in
    /// <paramref name="range"/>, after (<paramref name="afterPersonKey"/>, <paramref name="afterRecordId"/>) in byte order,
    /// at most <paramref name="limit"/>: a backfill page for that index province.
    /// </summary>
    public static async Task<IReadOnlyList<StoredEnrolmentRecord>> OwnedForIndexAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string owner,
        string indexProvince, PersonKeyRange range, string afterPersonKey, string afterRecordId, int limit, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, $"""
            SELECT {RecordColumns} FROM enrolment_records
            WHERE owner_province = @owner AND index_province = @index
              AND person_key COLLATE "C" >= @lo AND (@hi::text IS NULL OR person_key COLLATE "C" < @hi)
              AND (person_key COLLATE "C", record_id COLLATE "C") > (@after_pk, @after_id)
            ORDER BY person_key COLLATE "C", record_id COLLATE "C" LIMIT @limit
            """)
            .With("owner", NpgsqlDbType.Text, owner)
            .With("index", NpgsqlDbType.Text, indexProvince)
            .With("lo", NpgsqlDbType.Text, range.From)
            .With("hi", NpgsqlDbType.Text, range.Before)
            .With("after_pk", NpgsqlDbType.Text, afterPersonKey)
            .With("after_id", NpgsqlDbType.Text, afterRecordId)
            .With("limit", NpgsqlDbType.Integer, limit);
        return await cmd.ReadAllAsync(MapRecord, ct).ConfigureAwait(false);
    }
}
