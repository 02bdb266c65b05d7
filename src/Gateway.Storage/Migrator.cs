using Npgsql;

namespace Gateway.Storage;

/// <summary>
/// Applies embedded migrations not yet recorded in schema_migrations, in order, each in its own transaction.
/// A session advisory lock serializes nodes or test fixtures that start at the same moment.
/// </summary>
public static class Migrator
{
    // Arbitrary constant that names "schema migration" among this database's advisory locks.
    public const long AdvisoryLockKey = 0x6777_6d69_6772_0001;

    public static Task<IReadOnlyList<int>> ApplyAsync(NpgsqlDataSource dataSource, CancellationToken ct = default) =>
        ApplyAsync(dataSource, Migration.Embedded, ct);

    /// <summary>Returns the versions applied by this call (empty when the schema was already current).</summary>
    public static async Task<IReadOnlyList<int>> ApplyAsync(
        NpgsqlDataSource dataSource, IReadOnlyList<Migration> migrations, CancellationToken ct = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await ExecuteAsync(conn, null, "SELECT pg_advisory_lock(@key)", ct, ("key", AdvisoryLockKey)).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(conn, null, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, ct).ConfigureAwait(false);
            var applied = await AppliedVersionsAsync(conn, ct).ConfigureAwait(false);
            var done = new List<int>();
            foreach (var migration in migrations.OrderBy(m => m.Version))
            {
                if (applied.Contains(migration.Version))
                {
                    continue;
                }
                await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
                await ExecuteAsync(conn, tx, migration.Sql, ct).ConfigureAwait(false);
                await ExecuteAsync(conn, tx, "INSERT INTO schema_migrations (version, name) VALUES (@version, @name)", ct,
                    ("version", migration.Version), ("name", migration.Name)).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
                done.Add(migration.Version);
            }
            return done;
        }
        finally
        {
            // The lock is per session; a pooled connection must not keep it.
            await ExecuteAsync(conn, null, "SELECT pg_advisory_unlock(@key)", CancellationToken.None, ("key", AdvisoryLockKey)).ConfigureAwait(false);
        }
    }

    /// <summary>Highest applied version, or 0 for an empty database.</summary>
    public static async Task<int> CurrentVersionAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        // The table name must resolve at plan time, so check for it before reading it.
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('schema_migrations') IS NOT NULL", conn))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
            {
                return 0;
            }
        }
        await using var cmd = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM schema_migrations", conn);
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false));
    }

    private static async Task<HashSet<int>> AppliedVersionsAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT version FROM schema_migrations", conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var versions = new HashSet<int>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            versions.Add(reader.GetInt32(0));
        }
        return versions;
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct,
        params (string Name, object Value)[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
