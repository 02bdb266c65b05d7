using Npgsql;

namespace Gateway.Node.Exchange;

/// <summary>Marks an outbox row failed at once when its receiver rejected it for good.</summary>
public static class OutboxRejections
{
    public static async Task MarkRejectedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string messageId, string reason, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            WITH failed AS (
                UPDATE outbox SET status = 'failed', last_error = @reason
                WHERE message_id = @id AND status IN ('pending', 'awaiting_receipt')
                RETURNING message_id, attempts)
            INSERT INTO outbox_attempts (message_id, attempt, at, outcome, error)
            SELECT message_id, attempts, @now, 'rejected', @reason FROM failed
            """, conn, tx);
        cmd.Parameters.AddWithValue("id", messageId);
        cmd.Parameters.AddWithValue("reason", "rejected by receiver: " + reason);
        cmd.Parameters.AddWithValue("now", now);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
