using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Org.BouncyCastle.Crypto.Digests;

namespace Gateway.Storage;

/// <summary>
/// What an appender knows of one log entry: the rest (seq, hash) the sealer adds. The chain covers the digest;
/// <see cref="Envelope"/> keeps the signed bytes it digests, for the auditor's export of one exchange.
/// </summary>
public sealed record MessageLogEntry(string Kind, string? MessageId, string? MessageType, string? Sender, string? Receiver, string? CorrelationId,
    byte[] Digest)
{
    /// <summary>A received envelope as it came off the wire (sent and dead-lettered entries take the bytes their own table stores).</summary>
    public byte[]? Envelope { get; init; }
}

/// <summary>A sealed entry of one exchange, with the hash it chains from and the envelope it is about (null when none).</summary>
public sealed record ExchangeLogRow(MessageLogRow Entry, byte[] PreviousHash, byte[]? Envelope);

/// <summary>One row of the message log; seq and hash are null until sealed.</summary>
public sealed record MessageLogRow(long Id, long? Seq, string Kind, string? MessageId, string? MessageType, string? Sender, string? Receiver,
    string? CorrelationId, byte[] Digest, DateTimeOffset At, byte[]? Hash);

/// <summary>A signed chain head: the latest sealed entry's seq and hash when the node signed them.</summary>
public sealed record MessageLogHead(long Seq, byte[] Hash, DateTimeOffset SignedAt, string Province, string KeyId, string Algorithm, byte[] Signature);

/// <summary>
/// The tamper-evident message log (0014_message_log.sql, docs/security.md "Message log"). Appends run in the
/// transaction that sent, received or acted, take no shared lock and get no seq; the sealer assigns seq and chain
/// hash to committed rows afterwards, one sealing transaction at a time (<see cref="TryLockSealerAsync"/>).
/// </summary>
public static class MessageLogStore
{
    public const string Sent = "sent";
    public const string Received = "received";
    public const string DeadLettered = "dead_lettered";
    public const string OperatorAction = "operator_action";

    public const int DigestLength = 32;

    // Names "message log sealer" among this database's advisory locks.
    private const long SealerLockKey = 0x6777_6d6c_6f67_0001;

    private const string Columns = "id, seq, kind, message_id, message_type, sender, receiver, correlation_id, digest, at, hash";

    /// <summary>SM3 (GM/T 0004) of the bytes.</summary>
    public static byte[] Sm3(ReadOnlySpan<byte> data)
    {
        var digest = new SM3Digest();
        digest.BlockUpdate(data);
        var result = new byte[DigestLength];
        digest.DoFinal(result, 0);
        return result;
    }

    /// <summary>Appends one entry in the caller's transaction; <paramref name="at"/> null takes the transaction's clock.</summary>
    public static async Task AppendAsync(NpgsqlConnection conn, NpgsqlTransaction tx, MessageLogEntry entry, DateTimeOffset? at, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            INSERT INTO message_log (kind, message_id, message_type, sender, receiver, correlation_id, digest, at, envelope)
            VALUES (@kind, @message_id, @message_type, @sender, @receiver, @correlation_id, @digest, coalesce(@at, now()), @envelope)
            """);
        With(cmd, entry).With("at", NpgsqlDbType.TimestampTz, at?.ToUniversalTime());
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Parameters @kind, @message_id, @message_type, @sender, @receiver, @correlation_id, @digest, @envelope (all null when no entry).</summary>
    internal static NpgsqlCommand With(NpgsqlCommand cmd, MessageLogEntry? entry) => cmd
        .With("envelope", NpgsqlDbType.Bytea, entry?.Envelope)
        .With("kind", NpgsqlDbType.Text, entry?.Kind)
        .With("message_id", NpgsqlDbType.Text, entry?.MessageId)
        .With("message_type", NpgsqlDbType.Text, entry?.MessageType)
        .With("sender", NpgsqlDbType.Text, entry?.Sender)
        .With("receiver", NpgsqlDbType.Text, entry?.Receiver)
        .With("correlation_id", NpgsqlDbType.Text, entry?.CorrelationId)
        .With("digest", NpgsqlDbType.Bytea, entry?.Digest);

    /// <summary>
    /// The operator action's entry, appended in its transaction: the digest is SM3 of the audit row's canonical JSON
    /// (<see cref="AuditCanonicalJson"/>), built from the row as stored, so an auditor can recompute it from audit_log.
    /// </summary>
    internal static async Task AppendAuditAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long id, DateTimeOffset at, string @operator, string action,
        string? subject, string? reason, string? result, string? transferId, string? detail, CancellationToken ct)
    {
        var json = AuditCanonicalJson(id, at, @operator, action, subject, reason, result, transferId, detail);
        await AppendAsync(conn, tx, new MessageLogEntry(OperatorAction, "audit:" + id.ToString(CultureInfo.InvariantCulture), action, @operator, null,
            transferId, Sm3(Encoding.UTF8.GetBytes(json))), at, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// {"id":…,"at":"…","operator":…,"action":…,"subject":…,"reason":…,"result":…,"transfer_id":…,"detail":…} in this
    /// order, no white space; at as UTC with 6 fractional digits and Z; detail as a string (PostgreSQL's text of the
    /// jsonb) or null; strings escape only '"', '\' and U+0000..U+001F (as \u00xx), everything else is raw UTF-8.
    /// </summary>
    public static string AuditCanonicalJson(long id, DateTimeOffset at, string @operator, string action, string? subject, string? reason,
        string? result, string? transferId, string? detail)
    {
        var b = new StringBuilder(256);
        b.Append("{\"id\":").Append(id.ToString(CultureInfo.InvariantCulture));
        b.Append(",\"at\":\"").Append(at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)).Append('"');
        Field(b, "operator", @operator);
        Field(b, "action", action);
        Field(b, "subject", subject);
        Field(b, "reason", reason);
        Field(b, "result", result);
        Field(b, "transfer_id", transferId);
        Field(b, "detail", detail);
        return b.Append('}').ToString();

        static void Field(StringBuilder b, string name, string? value)
        {
            b.Append(",\"").Append(name).Append("\":");
            if (value is null) { b.Append("null"); return; }
            b.Append('"');
            foreach (var c in value)
            {
                if (c == '"' || c == '\\') b.Append('\\').Append(c);
                else if (c < 0x20) b.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                else b.Append(c);
            }
            b.Append('"');
        }
    }

    /// <summary>
    /// This transaction's turn to seal (a transaction-level advisory lock, tried, not waited for). Take it before
    /// reading the last sealed entry, so the read sees the previous sealer's commit.
    /// </summary>
    public static async Task<bool> TryLockSealerAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, "SELECT pg_try_advisory_xact_lock(@lock)").With("lock", NpgsqlDbType.Bigint, SealerLockKey);
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>The latest sealed entry's seq and hash, or null when nothing is sealed yet.</summary>
    public static async Task<(long Seq, byte[] Hash)?> LastSealedAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, "SELECT seq, hash FROM message_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1");
        var rows = await cmd.ReadAllAsync(r => (r.GetInt64(0), r.GetFieldValue<byte[]>(1)), ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Committed, unsealed entries in insertion order.</summary>
    public static async Task<IReadOnlyList<MessageLogRow>> UnsealedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int limit, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, $"SELECT {Columns} FROM message_log WHERE seq IS NULL ORDER BY id LIMIT @limit")
            .With("limit", NpgsqlDbType.Integer, limit);
        return await cmd.ReadAllAsync(Map, ct).ConfigureAwait(false);
    }

    /// <summary>Gives the rows their seq and hash, in one statement. Returns how many it sealed.</summary>
    public static async Task<int> SealAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<(long Id, long Seq, byte[] Hash)> sealedRows,
        CancellationToken ct = default)
    {
        if (sealedRows.Count == 0) return 0;
        await using var cmd = SqlHelpers.Command(conn, tx, """
            UPDATE message_log m SET seq = u.seq, hash = u.hash
            FROM unnest(@ids, @seqs, @hashes) AS u(id, seq, hash)
            WHERE m.id = u.id AND m.seq IS NULL
            """)
            .With("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, sealedRows.Select(s => s.Id).ToArray())
            .With("seqs", NpgsqlDbType.Array | NpgsqlDbType.Bigint, sealedRows.Select(s => s.Seq).ToArray())
            .With("hashes", NpgsqlDbType.Array | NpgsqlDbType.Bytea, sealedRows.Select(s => s.Hash).ToArray());
        var changed = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        // Only the lock holder seals, so every row must still be unsealed; anything else would leave a gap.
        if (changed != sealedRows.Count)
            throw new InvalidOperationException($"Sealing {sealedRows.Count} message log entries changed {changed}: another sealer ran without the lock.");
        return changed;
    }

    public static async Task<MessageLogHead?> LastHeadAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, "SELECT seq, hash, signed_at, province, key_id, algorithm, signature FROM message_log_heads ORDER BY seq DESC LIMIT 1");
        var rows = await cmd.ReadAllAsync(MapHead, ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public static async Task AddHeadAsync(NpgsqlConnection conn, NpgsqlTransaction tx, MessageLogHead head, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            INSERT INTO message_log_heads (seq, hash, signed_at, province, key_id, algorithm, signature)
            VALUES (@seq, @hash, @signed_at, @province, @key_id, @algorithm, @signature)
            ON CONFLICT (seq) DO NOTHING
            """)
            .With("seq", NpgsqlDbType.Bigint, head.Seq)
            .With("hash", NpgsqlDbType.Bytea, head.Hash)
            .WithTime("signed_at", head.SignedAt)
            .With("province", NpgsqlDbType.Text, head.Province)
            .With("key_id", NpgsqlDbType.Text, head.KeyId)
            .With("algorithm", NpgsqlDbType.Text, head.Algorithm)
            .With("signature", NpgsqlDbType.Bytea, head.Signature);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Sealed entries with seq ≥ <paramref name="fromSeq"/>, in seq order, at most <paramref name="limit"/>.</summary>
    public static async Task<IReadOnlyList<MessageLogRow>> ReadAsync(NpgsqlConnection conn, long fromSeq, int limit, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, null, $"SELECT {Columns} FROM message_log WHERE seq >= @from ORDER BY seq LIMIT @limit")
            .With("from", NpgsqlDbType.Bigint, fromSeq)
            .With("limit", NpgsqlDbType.Integer, limit);
        return await cmd.ReadAllAsync(Map, ct).ConfigureAwait(false);
    }

    /// <summary>Signed heads with seq ≥ <paramref name="fromSeq"/>, in seq order, at most <paramref name="limit"/>.</summary>
    public static async Task<IReadOnlyList<MessageLogHead>> HeadsAsync(NpgsqlConnection conn, long fromSeq, int limit, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, null, """
            SELECT seq, hash, signed_at, province, key_id, algorithm, signature FROM message_log_heads WHERE seq >= @from ORDER BY seq LIMIT @limit
            """)
            .With("from", NpgsqlDbType.Bigint, fromSeq)
            .With("limit", NpgsqlDbType.Integer, limit);
        return await cmd.ReadAllAsync(MapHead, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The sealed entries of one exchange (correlation id), in seq order, at most <paramref name="limit"/>, each with the
    /// previous entry's hash (the genesis hash for seq 1) so each can be re-chained on its own.
    /// </summary>
    public static async Task<IReadOnlyList<ExchangeLogRow>> ExchangeAsync(NpgsqlConnection conn, string correlationId, int limit, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, null, """
            SELECT m.id, m.seq, m.kind, m.message_id, m.message_type, m.sender, m.receiver, m.correlation_id, m.digest, m.at, m.hash,
                   p.hash, m.envelope
            FROM message_log m LEFT JOIN message_log p ON p.seq = m.seq - 1
            WHERE m.correlation_id = @correlation AND m.seq IS NOT NULL
            ORDER BY m.seq LIMIT @limit
            """)
            .With("correlation", NpgsqlDbType.Text, correlationId)
            .With("limit", NpgsqlDbType.Integer, limit);
        return await cmd.ReadAllAsync(r => new ExchangeLogRow(Map(r), r.NullableBytes(11) ?? new byte[DigestLength], r.NullableBytes(12)), ct)
            .ConfigureAwait(false);
    }

    /// <summary>Entries of one exchange appended and committed but not sealed yet.</summary>
    public static async Task<long> UnsealedCountAsync(NpgsqlConnection conn, string correlationId, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, null, "SELECT count(*) FROM message_log WHERE correlation_id = @correlation AND seq IS NULL")
            .With("correlation", NpgsqlDbType.Text, correlationId);
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>The first signed head at or after <paramref name="seq"/>: the one that covers an entry, once signed.</summary>
    public static async Task<MessageLogHead?> HeadCoveringAsync(NpgsqlConnection conn, long seq, CancellationToken ct = default)
    {
        var heads = await HeadsAsync(conn, seq, 1, ct).ConfigureAwait(false);
        return heads.Count == 0 ? null : heads[0];
    }

    /// <summary>Entries appended and committed but not sealed yet (the sealer's backlog).</summary>
    public static async Task<long> UnsealedCountAsync(NpgsqlConnection conn, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, null, "SELECT count(*) FROM message_log WHERE seq IS NULL");
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private static MessageLogRow Map(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.IsDBNull(1) ? null : r.GetInt64(1), r.GetString(2), r.NullableString(3), r.NullableString(4), r.NullableString(5),
        r.NullableString(6), r.NullableString(7), r.GetFieldValue<byte[]>(8), r.Time(9), r.NullableBytes(10));

    private static MessageLogHead MapHead(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetFieldValue<byte[]>(1), r.Time(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetFieldValue<byte[]>(6));
}
