using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

/// <summary>Deduplicates inbound envelopes by message id inside the transaction that applies them.</summary>
public static class InboxStore
{
    /// <summary>True the first time this message id is seen; false for a redelivery, which must not act again.</summary>
    public static async Task<bool> TryRecordAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, string messageId, string messageType, string sender, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, """
            INSERT INTO inbox (message_id, message_type, sender, received_at)
            VALUES (@message_id, @message_type, @sender, now())
            ON CONFLICT (message_id) DO NOTHING
            """)
            .With("message_id", NpgsqlDbType.Text, messageId)
            .With("message_type", NpgsqlDbType.Text, messageType)
            .With("sender", NpgsqlDbType.Text, sender);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// Records a whole batch's message ids in one statement and returns those seen for the first time; each of them
    /// must then be applied in the same transaction. An id repeated inside the batch counts once.
    /// </summary>
    public static async Task<HashSet<string>> TryRecordManyAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyList<(string MessageId, string MessageType, string Sender)> messages, CancellationToken ct = default)
    {
        if (messages.Count == 0) return [];
        await using var cmd = SqlHelpers.Command(conn, tx, """
            INSERT INTO inbox (message_id, message_type, sender, received_at)
            SELECT * FROM unnest(@ids, @types, @senders, array_fill(now(), ARRAY[cardinality(@ids)]))
            ON CONFLICT (message_id) DO NOTHING
            RETURNING message_id
            """)
            .With("ids", NpgsqlDbType.Array | NpgsqlDbType.Text, messages.Select(m => m.MessageId).ToArray())
            .With("types", NpgsqlDbType.Array | NpgsqlDbType.Text, messages.Select(m => m.MessageType).ToArray())
            .With("senders", NpgsqlDbType.Array | NpgsqlDbType.Text, messages.Select(m => m.Sender).ToArray());
        return [.. await cmd.ReadAllAsync(r => r.GetString(0), ct).ConfigureAwait(false)];
    }

    public static async Task<bool> ContainsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string messageId, CancellationToken ct = default)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, "SELECT EXISTS (SELECT 1 FROM inbox WHERE message_id = @message_id)")
            .With("message_id", NpgsqlDbType.Text, messageId);
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }
}
