using Npgsql;

namespace Gateway.Harness.Tests;

/// <summary>Direct reads of one node's database, for assertions about rows the API does not show.</summary>
public sealed class NodeDb(string connectionString)
{
    public async Task<long> CountAsync(string sql, params (string Name, object Value)[] parameters) =>
        Convert.ToInt64(await ScalarAsync(sql, parameters));

    public async Task<object?> ScalarAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = Command(conn, sql, parameters);
        var value = await cmd.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> map, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = Command(conn, sql, parameters);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync()) rows.Add(map(reader));
        return rows;
    }

    /// <summary>The reason of the dead_letters row holding exactly <paramref name="payload"/>, once the inbox wrote it.</summary>
    public async Task<string> DeadLetterReasonAsync(byte[] payload, TimeSpan timeout)
    {
        string? reason = null;
        await WaitUntilAsync(async () =>
            (reason = (string?)await ScalarAsync("SELECT reason FROM dead_letters WHERE payload = @p", ("p", payload))) is not null,
            timeout, "a dead_letters row for the record");
        return reason!;
    }

    /// <summary>Polls <paramref name="probe"/> until it holds; the failure message names what was awaited.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> probe, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (!await probe())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.");
            await Task.Delay(100);
        }
    }

    private static NpgsqlCommand Command(NpgsqlConnection conn, string sql, (string Name, object Value)[] parameters)
    {
        var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return cmd;
    }
}
