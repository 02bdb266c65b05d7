using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

/// <summary>The durable answer to one idempotency key: which call it was, a hash of its request, and its response.</summary>
public sealed record IdempotencyRecord(
    string Key,
    string Method,
    byte[] RequestHash,
    byte[] Response,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt);

/// <summary>What <see cref="IdempotencyRecordStore.InsertAsync"/> did: stored the record, or found the live record that holds the key.</summary>
public sealed record IdempotencyInsert(bool Stored, IdempotencyRecord? Holder)
{
    public static readonly IdempotencyInsert Done = new(true, null);
}

/// <summary>What <see cref="IdempotencyRecordStore.ReserveAsync"/> did: reserved the key, or found the live record that holds it.</summary>
public sealed record IdempotencyReservation(bool Reserved, IdempotencyRecord? Holder)
{
    public static readonly IdempotencyReservation Done = new(true, null);
}

/// <summary>
/// Idempotency keys in PostgreSQL, stored in the same transaction as the call's effect, so that a retry after
/// a crash between commit and answer still finds the first result. Redis only caches these.
/// Expiry is always judged by the caller's clock (the one that stamped <see cref="IdempotencyRecord.ExpiresAt"/>),
/// never by the database's now(), so a lookup and the record agree on when a key is gone.
/// </summary>
public static class IdempotencyRecordStore
{
    /// <summary>
    /// Reserves the key for the caller's transaction before its effect runs: inserts the key's row (method, request
    /// hash, an empty response until <see cref="CompleteAsync"/>), or takes over a row that expired by
    /// <paramref name="now"/>. The row's unique index makes a concurrent call with the same key wait here until this
    /// transaction ends, so no lock of its own is needed. When a live record holds the key, nothing is written and
    /// the answer names it (the caller replays it or refuses the reuse, and runs no effect).
    /// One round trip, except after waiting for a concurrent holder's commit, which this statement's snapshot cannot
    /// see: then a second statement reads it.
    /// </summary>
    public static async Task<IdempotencyReservation> ReserveAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, string key, string method, byte[] requestHash,
        DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH reserved AS (
                INSERT INTO idempotency_keys (key, method, request_hash, response, created_at, expires_at)
                VALUES (@key, @method, @request_hash, ''::bytea, @now, @expires_at)
                ON CONFLICT (key) DO UPDATE
                    SET method = EXCLUDED.method, request_hash = EXCLUDED.request_hash, response = EXCLUDED.response,
                        created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
                    WHERE idempotency_keys.expires_at <= EXCLUDED.created_at
                RETURNING key)
            SELECT true, NULL, NULL, NULL, NULL, NULL, NULL FROM reserved
            UNION ALL
            SELECT false, key, method, request_hash, response, created_at, expires_at FROM idempotency_keys
            WHERE key = @key AND expires_at > @now AND NOT EXISTS (SELECT 1 FROM reserved)
            """)
            .With("key", NpgsqlDbType.Text, key)
            .With("method", NpgsqlDbType.Text, method)
            .With("request_hash", NpgsqlDbType.Bytea, requestHash)
            .WithTime("now", now)
            .WithTime("expires_at", expiresAt);
        var rows = await cmd.ReadAllAsync(r => r.GetBoolean(0)
            ? IdempotencyReservation.Done
            : new IdempotencyReservation(false, new IdempotencyRecord(
                r.GetString(1), r.GetString(2), r.GetFieldValue<byte[]>(3), r.GetFieldValue<byte[]>(4), r.Time(5), r.Time(6))), ct).ConfigureAwait(false);
        if (rows.Count == 1)
            return rows[0];
        // Neither reserved nor visible: the holder committed while this insert waited for it. A new statement sees it;
        // null only if it expired or was purged in between (the caller tries once more).
        return new IdempotencyReservation(false, await FindAsync(conn, tx, key, now, ct).ConfigureAwait(false));
    }

    /// <summary>Stores the response on the row <see cref="ReserveAsync"/> reserved in this transaction.</summary>
    public static async Task CompleteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string key, byte[] response, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, "UPDATE idempotency_keys SET response = @response WHERE key = @key")
            .With("key", NpgsqlDbType.Text, key)
            .With("response", NpgsqlDbType.Bytea, response);
        if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1)
            throw new InvalidOperationException("The idempotency key was not reserved in this transaction.");
    }

    /// <summary>The record for this key if it expires after <paramref name="now"/> (the clock the record was stamped with).</summary>
    public static async Task<IdempotencyRecord?> FindAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, string key, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            SELECT key, method, request_hash, response, created_at, expires_at FROM idempotency_keys
            WHERE key = @key AND expires_at > @now
            """)
            .With("key", NpgsqlDbType.Text, key)
            .WithTime("now", now);
        var rows = await cmd.ReadAllAsync(r => new IdempotencyRecord(
            r.GetString(0), r.GetString(1), r.GetFieldValue<byte[]>(2), r.GetFieldValue<byte[]>(3), r.Time(4), r.Time(5)), ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>
    /// Stores the record; replaces one with the same key that expired by <see cref="IdempotencyRecord.CreatedAt"/>.
    /// When a live one is already there (another call won the race), nothing is stored and the answer names that
    /// record: the caller must then not commit its effect, and answers with the holder's response.
    /// </summary>
    public static async Task<IdempotencyInsert> InsertAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IdempotencyRecord record, CancellationToken ct = default)
    {
        if (await TryInsertAsync(conn, tx, record, ct).ConfigureAwait(false))
            return IdempotencyInsert.Done;
        // The conflicting row is committed by now (ON CONFLICT waited for it), so this statement sees it.
        var holder = await FindAsync(conn, tx, record.Key, record.CreatedAt, ct).ConfigureAwait(false);
        return new IdempotencyInsert(false, holder);
    }

    private static async Task<bool> TryInsertAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IdempotencyRecord record, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            INSERT INTO idempotency_keys (key, method, request_hash, response, created_at, expires_at)
            VALUES (@key, @method, @request_hash, @response, @created_at, @expires_at)
            ON CONFLICT (key) DO UPDATE
                SET method = EXCLUDED.method, request_hash = EXCLUDED.request_hash, response = EXCLUDED.response,
                    created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
                WHERE idempotency_keys.expires_at <= EXCLUDED.created_at
            """)
            .With("key", NpgsqlDbType.Text, record.Key)
            .With("method", NpgsqlDbType.Text, record.Method)
            .With("request_hash", NpgsqlDbType.Bytea, record.RequestHash)
            .With("response", NpgsqlDbType.Bytea, record.Response)
            .WithTime("created_at", record.CreatedAt)
            .WithTime("expires_at", record.ExpiresAt);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    /// <summary>Deletes up to <paramref name="batch"/> expired keys; call repeatedly until it returns 0.</summary>
    public static async Task<int> PurgeExpiredAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, DateTimeOffset now, int batch = 10_000, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            DELETE FROM idempotency_keys
            WHERE key IN (SELECT key FROM idempotency_keys WHERE expires_at <= @now LIMIT @batch)
            """)
            .WithTime("now", now)
            .With("batch", NpgsqlDbType.Integer, batch);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
