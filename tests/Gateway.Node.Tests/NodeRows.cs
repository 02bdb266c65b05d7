using Npgsql;

namespace Gateway.Node.Tests;

/// <summary>Direct reads of a node's database, for assertions about rows the API does not show.</summary>
internal static class NodeRows
{
    public static async Task<long> CountAsync(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }
}
