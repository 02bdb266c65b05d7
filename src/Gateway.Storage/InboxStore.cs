using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

/// <summary>Deduplicates inbound envelopes by message id inside the transaction that applies them.</summary>
public static class InboxStore
{
    /// <summary>True the first time this message id is seen; false for a redelivery, which must not act again.</summary>
    public static Task<bool> TryRecordAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, string messageId, string messageType, string sender, CancellationToken ct = default) =>
        TryRecordAsync(conn, tx, messageId, messageType, sender, log: null, ct);

    /// <param name="log">The message log's "received" entry, appended in the same statement when the id is new.</param>
    public static async Task<bool> TryRecordAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, string messageId, string messageType, string sender, MessageLogEntry? log, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH inserted AS (
                INSERT INTO inbox (message_id, message_type, sender, received_at)
                VALUES (@inbox_id, @inbox_type, @inbox_sender, now())
                ON CONFLICT (message_id) DO NOTHING
                RETURNING received_at),
            logged AS (
                INSERT INTO message_log (kind, message_id, message_type, sender, receiver, correlation_id, digest, at, envelope)
                SELECT @kind, @message_id, @message_type, @sender, @receiver, @correlation_id, @digest, received_at, @envelope
                FROM inserted WHERE @digest::bytea IS NOT NULL)
            SELECT count(*) FROM inserted
            """)
            .With("inbox_id", NpgsqlDbType.Text, messageId)
            .With("inbox_type", NpgsqlDbType.Text, messageType)
            .With("inbox_sender", NpgsqlDbType.Text, sender);
        MessageLogStore.With(cmd, log);
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 1;
    }

    /// <summary>
    /// Records a whole batch's message ids in one statement and returns those seen for the first time; each of them
    /// must then be applied in the same transaction. An id repeated inside the batch counts once.
    /// </summary>
    public static Task<HashSet<string>> TryRecordManyAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyList<(string MessageId, string MessageType, string Sender)> messages, CancellationToken ct = default) =>
        TryRecordManyAsync(conn, tx, messages.Select(m => (m.MessageId, m.MessageType, m.Sender, (MessageLogEntry?)null)).ToList(), ct);

    /// <summary>
    /// As above, appending each new id's message log entry (when given) in the same statement: the batched inbox
    /// keeps one round trip for its whole batch.
    /// </summary>
    public static async Task<HashSet<string>> TryRecordManyAsync(NpgsqlConnection conn, NpgsqlTransaction? tx,
        IReadOnlyList<(string MessageId, string MessageType, string Sender, MessageLogEntry? Log)> messages, CancellationToken ct = default)
    {
        if (messages.Count == 0) return [];
        await using var cmd = SqlHelpers.Command(conn, tx, """
            WITH input AS (
                SELECT * FROM unnest(@ids, @types, @senders, @receivers, @correlations, @digests, @envelopes)
                    WITH ORDINALITY AS u(message_id, message_type, sender, receiver, correlation_id, digest, envelope, n)),
            inserted AS (
                INSERT INTO inbox (message_id, message_type, sender, received_at)
                SELECT message_id, message_type, sender, now() FROM input ORDER BY n
                ON CONFLICT (message_id) DO NOTHING
                RETURNING message_id, received_at),
            logged AS (
                INSERT INTO message_log (kind, message_id, message_type, sender, receiver, correlation_id, digest, at, envelope)
                SELECT 'received', f.message_id, f.message_type, f.sender, f.receiver, f.correlation_id, f.digest, i.received_at, f.envelope
                FROM inserted i
                JOIN (SELECT DISTINCT ON (message_id) * FROM input ORDER BY message_id, n) f ON f.message_id = i.message_id
                WHERE f.digest IS NOT NULL
                ORDER BY f.n)
            SELECT message_id FROM inserted
            """)
            .With("ids", NpgsqlDbType.Array | NpgsqlDbType.Text, messages.Select(m => m.MessageId).ToArray())
            .With("types", NpgsqlDbType.Array | NpgsqlDbType.Text, messages.Select(m => m.MessageType).ToArray())
            .With("senders", NpgsqlDbType.Array | NpgsqlDbType.Text, messages.Select(m => m.Sender).ToArray())
            .With("receivers", NpgsqlDbType.Array | NpgsqlDbType.Text, messages.Select(m => (object?)m.Log?.Receiver ?? DBNull.Value).ToArray())
            .With("correlations", NpgsqlDbType.Array | NpgsqlDbType.Text, messages.Select(m => (object?)m.Log?.CorrelationId ?? DBNull.Value).ToArray())
            .With("digests", NpgsqlDbType.Array | NpgsqlDbType.Bytea, messages.Select(m => (object?)m.Log?.Digest ?? DBNull.Value).ToArray())
            .With("envelopes", NpgsqlDbType.Array | NpgsqlDbType.Bytea, messages.Select(m => (object?)m.Log?.Envelope ?? DBNull.Value).ToArray());
        return [.. await cmd.ReadAllAsync(r => r.GetString(0), ct).ConfigureAwait(false)];
    }

    public static async Task<bool> ContainsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string messageId, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, "SELECT EXISTS (SELECT 1 FROM inbox WHERE message_id = @message_id)")
            .With("message_id", NpgsqlDbType.Text, messageId);
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }
}
