using Npgsql;

namespace Gateway.Harness;

/// <summary>
/// Faults a test puts into one node's own database: a trigger that refuses (as bad data, SQLSTATE 22023) some
/// transfer row changes, so the envelope that causes them is dead-lettered for real, until the test drops it.
/// </summary>
public static class NodeFaults
{
    public static Task RefuseTransferChangesAsync(ProvinceNode node, string name, string certno, string condition) => ExecuteAsync(node, $"""
        CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.certno = '{certno}' AND ({condition}) THEN RAISE EXCEPTION 'test refuses this change' USING ERRCODE = '22023'; END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON transfers FOR EACH ROW EXECUTE FUNCTION {name}();
        """);

    public static Task AllowTransferChangesAsync(ProvinceNode node, string name) =>
        ExecuteAsync(node, $"DROP TRIGGER {name} ON transfers; DROP FUNCTION {name}();");

    public static async Task ExecuteAsync(ProvinceNode node, string sql)
    {
        await using var conn = new NpgsqlConnection(node.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Polls until <paramref name="probe"/> finds something, at most <paramref name="timeout"/>.</summary>
    public static async Task<T> PollAsync<T>(Func<Task<T?>> probe, string what, TimeSpan timeout) where T : class
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await probe() is { } found) return found;
            if (DateTime.UtcNow > until) throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.");
            await Task.Delay(200);
        }
    }
}
