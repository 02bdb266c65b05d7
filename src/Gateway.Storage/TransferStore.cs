using Npgsql;
using NpgsqlTypes;
using Gateway.Domain.Transfers;
using Gateway.Domain.Values;

namespace Gateway.Storage;

/// <summary>SQL for the transfers, timeline and certificate tables. Callers pass the transaction
/// so a state change, its timeline entry and its outbox rows commit together.</summary>
public static class TransferStore
{
    private const string Columns = """
        transfer_id, role, state, origin_province, destination_province, certificate_number, certno,
        accepted_on, letter_sent_on, letter_received_on, withdrawal_requested_on, letter_returned_on,
        return_reason, return_text, info_table_on, table_amount_fen, transferred_amount_fen, completed_on,
        credited_amount_fen, acknowledged_on, withdrawn_on, exchange_failed, failure_reason, letter, info_table,
        version, updated_at, hold_reason, continuity
        """;

    public static async Task InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TransferRecord r, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            INSERT INTO transfers ({Columns})
            VALUES (@id, @role, @state, @origin, @dest, @certnum, @certno, @accepted, @letter_sent, @letter_received,
                    @withdrawal_requested, @letter_returned, @return_reason, @return_text, @info_table_on,
                    @table_amt, @transferred_amt, @completed, @credited_amt, @acknowledged, @withdrawn,
                    @failed, @failure, @letter, @info_table, 1, @now, @hold, @continuity)
            """, conn, tx);
        Bind(cmd, r);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Optimistic update: the row must still have the version it was read with.</summary>
    public static async Task UpdateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TransferRecord r, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE transfers SET state = @state, accepted_on = @accepted, letter_sent_on = @letter_sent,
                letter_received_on = @letter_received, withdrawal_requested_on = @withdrawal_requested,
                letter_returned_on = @letter_returned, return_reason = @return_reason, return_text = @return_text,
                info_table_on = @info_table_on, table_amount_fen = @table_amt, transferred_amount_fen = @transferred_amt,
                completed_on = @completed, credited_amount_fen = @credited_amt, acknowledged_on = @acknowledged,
                withdrawn_on = @withdrawn, exchange_failed = @failed, failure_reason = @failure, info_table = @info_table,
                hold_reason = @hold, continuity = @continuity, version = version + 1, updated_at = @now
            WHERE transfer_id = @id AND version = @version
            """, conn, tx);
        Bind(cmd, r);
        cmd.Parameters.AddWithValue("version", r.Version);
        if (await cmd.ExecuteNonQueryAsync(ct) != 1)
            throw new StoreConflictException($"Transfer {r.TransferId} changed concurrently; the unit of work is retried.");
        r.Version++;
    }

    public static async Task<TransferRecord?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string transferId, bool forUpdate, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"SELECT {Columns} FROM transfers WHERE transfer_id = @id" + (forUpdate ? " FOR UPDATE" : ""), conn, tx);
        cmd.Parameters.AddWithValue("id", transferId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>Keyset page ordered by (created_at, transfer_id); the token is the last id seen.</summary>
    public static async Task<IReadOnlyList<TransferRecord>> ListAsync(
        NpgsqlConnection conn, string? state, string? afterTransferId, int limit, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT {Columns} FROM transfers t
            WHERE (@state::text IS NULL OR state = @state)
              AND (@after::text IS NULL OR (created_at, transfer_id) >
                   (SELECT created_at, transfer_id FROM transfers WHERE transfer_id = @after))
            ORDER BY created_at, transfer_id
            LIMIT @limit
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter("state", NpgsqlDbType.Text) { Value = (object?)state ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("after", NpgsqlDbType.Text) { Value = (object?)afterTransferId ?? DBNull.Value });
        cmd.Parameters.AddWithValue("limit", limit);
        var list = new List<TransferRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(Read(reader));
        return list;
    }

    public static async Task AppendTimelineAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, string transferId, string @event, DateOnly on, DateTimeOffset at, string detail, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO transfer_timeline (transfer_id, seq, event, on_date, at, detail)
            VALUES (@id, COALESCE((SELECT max(seq) FROM transfer_timeline WHERE transfer_id = @id), 0) + 1, @event, @on, @at, @detail)
            """, conn, tx);
        cmd.Parameters.AddWithValue("id", transferId);
        cmd.Parameters.AddWithValue("event", @event);
        cmd.Parameters.AddWithValue("on", on);
        cmd.Parameters.AddWithValue("at", at);
        cmd.Parameters.AddWithValue("detail", detail);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task<IReadOnlyList<TimelineRow>> TimelineAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string transferId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT seq, event, on_date, at, detail FROM transfer_timeline WHERE transfer_id = @id ORDER BY seq", conn, tx);
        cmd.Parameters.AddWithValue("id", transferId);
        var rows = new List<TimelineRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new TimelineRow(reader.GetInt32(0), reader.GetString(1), reader.GetFieldValue<DateOnly>(2),
                reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4)));
        return rows;
    }

    /// <summary>
    /// Records an issued certificate. It supersedes the person's earlier live certificates of the same insurance type,
    /// so at most one is live per person and type. Refused (returns the open transfer's id) while an earlier one is
    /// consumed by a transfer-out that has not ended.
    /// </summary>
    public static async Task<string?> InsertCertificateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string number, string certno, int insutype,
        DateOnly issuedOn, byte[] document, CancellationToken ct)
    {
        await using (var open = new NpgsqlCommand("""
            SELECT c.consumed_by FROM certificates c JOIN transfers t ON t.transfer_id = c.consumed_by
            WHERE c.certno = @c AND c.insutype = @t AND c.status = 'consumed'
              AND t.state NOT IN ('Completed', 'Acknowledged', 'LetterReturned', 'Withdrawn')
            LIMIT 1 FOR UPDATE OF c
            """, conn, tx))
        {
            open.Parameters.AddWithValue("c", certno);
            open.Parameters.AddWithValue("t", insutype);
            if (await open.ExecuteScalarAsync(ct) is string transferId) return transferId;
        }
        await using var cmd = new NpgsqlCommand("""
            WITH superseded AS (
                UPDATE certificates SET status = 'superseded' WHERE certno = @c AND insutype = @t AND status = 'live')
            INSERT INTO certificates (number, certno, insutype, issued_on, document, status) VALUES (@n, @c, @t, @d, @doc, 'live')
            """, conn, tx);
        cmd.Parameters.AddWithValue("n", number);
        cmd.Parameters.AddWithValue("c", certno);
        cmd.Parameters.AddWithValue("t", insutype);
        cmd.Parameters.AddWithValue("d", issuedOn);
        cmd.Parameters.AddWithValue("doc", document);
        await cmd.ExecuteNonQueryAsync(ct);
        return null;
    }

    /// <summary>The id of a transfer at this node for this certificate that is open or completed (returned and withdrawn ones do not count).</summary>
    public static async Task<(string TransferId, bool Open)?> FindUseOfCertificateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string certificateNumber, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT transfer_id, state NOT IN ('Completed', 'Acknowledged') FROM transfers
            WHERE certificate_number = @n AND state NOT IN ('LetterReturned', 'Withdrawn')
            ORDER BY state NOT IN ('Completed', 'Acknowledged') DESC
            LIMIT 1
            """, conn, tx);
        cmd.Parameters.AddWithValue("n", certificateNumber);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetString(0), reader.GetBoolean(1)) : null;
    }

    /// <summary>A certificate as this node issued it, locked until the caller's transaction ends; null when never issued here.</summary>
    public static async Task<IssuedCertificate?> FindCertificateForUpdateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string number, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT number, certno, insutype, issued_on, status, consumed_by FROM certificates WHERE number = @n FOR UPDATE", conn, tx);
        cmd.Parameters.AddWithValue("n", number);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new IssuedCertificate(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt32(2),
            reader.GetFieldValue<DateOnly>(3), reader.GetString(4), S(reader, 5));
    }

    /// <summary>The certificate now serves this transfer-out; no other letter can use it until it is released.</summary>
    public static async Task ConsumeCertificateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string number, string transferId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "UPDATE certificates SET status = 'consumed', consumed_by = @id WHERE number = @n AND status = 'live'", conn, tx);
        cmd.Parameters.AddWithValue("n", number);
        cmd.Parameters.AddWithValue("id", transferId);
        if (await cmd.ExecuteNonQueryAsync(ct) != 1)
            throw new StoreConflictException($"Certificate {number} is no longer live.");
    }

    /// <summary>A returned or withdrawn transfer-out frees its certificate for a new application.</summary>
    public static async Task ReleaseCertificateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string transferId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "UPDATE certificates SET status = 'live', consumed_by = NULL WHERE consumed_by = @id AND status = 'consumed'", conn, tx);
        cmd.Parameters.AddWithValue("id", transferId);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Serialises applications that carry one certificate until the caller's transaction ends.</summary>
    public static async Task LockCertificateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string certificateNumber, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('certificate:' || @n, 0))", conn, tx);
        cmd.Parameters.AddWithValue("n", certificateNumber);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task RecordWithdrawnBeforeLetterAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string transferId, string requestedBy, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO withdrawn_before_letter (transfer_id, requested_by) VALUES (@id, @by) ON CONFLICT DO NOTHING", conn, tx);
        cmd.Parameters.AddWithValue("id", transferId);
        cmd.Parameters.AddWithValue("by", requestedBy);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task<bool> WasWithdrawnBeforeLetterAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string transferId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT 1 FROM withdrawn_before_letter WHERE transfer_id = @id", conn, tx);
        cmd.Parameters.AddWithValue("id", transferId);
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }

    public static async Task MarkExchangeFailedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string transferId, string reason, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE transfers SET exchange_failed = true, failure_reason = @reason, version = version + 1, updated_at = now()
            WHERE transfer_id = @id
            """, conn, tx);
        cmd.Parameters.AddWithValue("id", transferId);
        cmd.Parameters.AddWithValue("reason", reason);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static void Bind(NpgsqlCommand cmd, TransferRecord r)
    {
        var p = cmd.Parameters;
        var s = r.Snapshot;
        p.AddWithValue("id", s.Id);
        p.AddWithValue("role", s.Role.ToString());
        p.AddWithValue("state", s.State.ToString());
        p.AddWithValue("origin", s.Origin.Value);
        p.AddWithValue("dest", s.Destination.Value);
        p.AddWithValue("certnum", r.CertificateNumber);
        p.AddWithValue("certno", r.Certno);
        Date(p, "accepted", s.AcceptedOn);
        Date(p, "letter_sent", s.LetterSentOn);
        Date(p, "letter_received", s.LetterReceivedOn);
        Date(p, "withdrawal_requested", s.WithdrawalRequestedOn);
        Date(p, "letter_returned", s.LetterReturnedOn);
        Text(p, "return_reason", s.ReturnReason?.Code());
        Text(p, "return_text", s.ReturnText);
        Date(p, "info_table_on", s.InfoTableOn);
        Long(p, "table_amt", s.TableAmount?.Fen);
        Long(p, "transferred_amt", s.TransferredAmount?.Fen);
        Date(p, "completed", s.CompletedOn);
        Long(p, "credited_amt", s.CreditedAmount?.Fen);
        Date(p, "acknowledged", s.AcknowledgedOn);
        Date(p, "withdrawn", s.WithdrawnOn);
        p.AddWithValue("failed", r.ExchangeFailed);
        Text(p, "failure", r.FailureReason);
        p.AddWithValue("letter", r.Letter);
        p.Add(new NpgsqlParameter("info_table", NpgsqlDbType.Bytea) { Value = (object?)r.InfoTable ?? DBNull.Value });
        Text(p, "hold", r.HoldReason);
        p.Add(new NpgsqlParameter("continuity", NpgsqlDbType.Bytea) { Value = (object?)r.Continuity ?? DBNull.Value });
        p.AddWithValue("now", DateTimeOffset.UtcNow);
    }

    private static void Date(NpgsqlParameterCollection p, string name, DateOnly? v) =>
        p.Add(new NpgsqlParameter(name, NpgsqlDbType.Date) { Value = v.HasValue ? v.Value : DBNull.Value });
    private static void Long(NpgsqlParameterCollection p, string name, long? v) =>
        p.Add(new NpgsqlParameter(name, NpgsqlDbType.Bigint) { Value = v.HasValue ? v.Value : DBNull.Value });
    private static void Text(NpgsqlParameterCollection p, string name, string? v) =>
        p.Add(new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = (object?)v ?? DBNull.Value });

    internal static TransferRecord Read(NpgsqlDataReader r) => new()
    {
        Snapshot = new TransferSnapshot
        {
            Id = r.GetString(0),
            Role = Enum.Parse<TransferRole>(r.GetString(1)),
            State = Enum.Parse<TransferState>(r.GetString(2)),
            Origin = new ProvinceCode(r.GetString(3)),
            Destination = new ProvinceCode(r.GetString(4)),
            AcceptedOn = D(r, 7),
            LetterSentOn = D(r, 8),
            LetterReceivedOn = D(r, 9),
            WithdrawalRequestedOn = D(r, 10),
            LetterReturnedOn = D(r, 11),
            ReturnReason = r.IsDBNull(12) ? null : ReturnReasons.Parse(r.GetString(12)),
            ReturnText = S(r, 13),
            InfoTableOn = D(r, 14),
            TableAmount = M(r, 15),
            TransferredAmount = M(r, 16),
            CompletedOn = D(r, 17),
            CreditedAmount = M(r, 18),
            AcknowledgedOn = D(r, 19),
            WithdrawnOn = D(r, 20),
        },
        CertificateNumber = r.GetString(5),
        Certno = r.GetString(6),
        ExchangeFailed = r.GetBoolean(21),
        FailureReason = S(r, 22),
        Letter = r.GetFieldValue<byte[]>(23),
        InfoTable = r.IsDBNull(24) ? null : r.GetFieldValue<byte[]>(24),
        Version = r.GetInt32(25),
        UpdatedAt = r.GetFieldValue<DateTimeOffset>(26),
        HoldReason = S(r, 27),
        Continuity = r.IsDBNull(28) ? null : r.GetFieldValue<byte[]>(28),
    };

    private static DateOnly? D(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateOnly>(i);
    private static Money? M(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : new Money(r.GetInt64(i));
    private static string? S(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}

/// <summary>A certificate this node issued: who it is for, and whether a transfer-out already uses it.</summary>
public sealed record IssuedCertificate(string Number, string Certno, int? Insutype, DateOnly IssuedOn, string Status, string? ConsumedBy)
{
    public bool IsLive => Status == "live";
    public bool IsSuperseded => Status == "superseded";
}

/// <summary>A row changed under the caller (optimistic version, a certificate consumed meanwhile): retry the unit of work.</summary>
public sealed class StoreConflictException(string message) : Exception(message);
