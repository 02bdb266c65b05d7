using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

/// <summary>Second, different answers to an answered work item: kept for operators, never applied.</summary>
public static class WorkItemAnswerConflicts
{
    public static async Task AddAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string itemId, byte[] answer, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = SqlHelpers.Command(conn, tx, "INSERT INTO work_item_answer_conflicts (item_id, at, answer) VALUES (@id, @at, @answer)")
            .With("id", NpgsqlDbType.Text, itemId)
            .WithTime("at", now)
            .With("answer", NpgsqlDbType.Bytea, answer);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
