using Gateway.LocalServers;
using Npgsql;

namespace Gateway.Harness;

/// <summary>Where a cluster's node databases live: the private server it started, or an existing server it was given.</summary>
public abstract class NodeDatabases : IAsyncDisposable
{
    /// <summary>Creates an empty database for one node and returns its connection string.</summary>
    public abstract Task<string> CreateDatabaseAsync(string name, CancellationToken ct);

    /// <summary>The private server, or null for an existing one (which the harness may neither restart nor measure).</summary>
    public abstract PostgresServer? Private { get; }

    public abstract ValueTask DisposeAsync();

    public static async Task<NodeDatabases> StartPrivateAsync(int maxConnections, CancellationToken ct) =>
        new PrivateDatabases(await PostgresServer.StartAsync(new PostgresServerOptions { MaxConnections = maxConnections }, ct));

    /// <summary>
    /// An existing server, reached with <paramref name="connectionString"/> (a role that may create databases). Each node's
    /// database is created under a name of this run's own and dropped again when the cluster stops.
    /// </summary>
    public static async Task<NodeDatabases> OnExistingServerAsync(string connectionString, CancellationToken ct)
    {
        NpgsqlConnectionStringBuilder builder;
        try { builder = new NpgsqlConnectionStringBuilder(connectionString); }
        catch (ArgumentException ex) { throw new ArgumentException($"The PostgreSQL connection string is not valid: {ex.Message}", nameof(connectionString), ex); }
        if (string.IsNullOrEmpty(builder.Database)) builder.Database = "postgres";
        var existing = new ExistingDatabases(builder);
        await existing.CheckAsync(ct);
        return existing;
    }

    private sealed class PrivateDatabases(PostgresServer server) : NodeDatabases
    {
        public override PostgresServer Private => server;
        public override Task<string> CreateDatabaseAsync(string name, CancellationToken ct) => server.CreateDatabaseAsync(name, ct);
        public override ValueTask DisposeAsync() => server.DisposeAsync();
    }

    private sealed class ExistingDatabases(NpgsqlConnectionStringBuilder admin) : NodeDatabases
    {
        // A run's own names, so runs side by side (or one that was killed) never meet each other's databases.
        private readonly string _prefix = $"gwh_{Guid.NewGuid():N}"[..16];
        private readonly List<string> _created = [];

        public override PostgresServer? Private => null;

        public async Task CheckAsync(CancellationToken ct)
        {
            try
            {
                await using var conn = await OpenAsync(ct);
                await using var cmd = new NpgsqlCommand("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user", conn);
                if (await cmd.ExecuteScalarAsync(ct) is not true)
                    throw new InvalidOperationException($"PostgreSQL role '{admin.Username}' may not create databases: the harness creates one per node (grant CREATEDB).");
            }
            catch (NpgsqlException ex)
            {
                throw new InvalidOperationException($"The existing PostgreSQL server at {admin.Host}:{admin.Port} cannot be reached: {ex.Message}", ex);
            }
        }

        public override async Task<string> CreateDatabaseAsync(string name, CancellationToken ct)
        {
            var database = $"{_prefix}_{name}";
            if (!System.Text.RegularExpressions.Regex.IsMatch(database, "^[a-z0-9_]{1,63}$"))
                throw new ArgumentException("Database names here are lower-case letters, digits and underscores.", nameof(name));
            await using (var conn = await OpenAsync(ct))
            await using (var cmd = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", conn))
                await cmd.ExecuteNonQueryAsync(ct);
            lock (_created) _created.Add(database);
            return new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = database }.ConnectionString;
        }

        public override async ValueTask DisposeAsync()
        {
            List<string> created;
            lock (_created) created = [.. _created];
            if (created.Count == 0) return;
            await using var conn = await OpenAsync(CancellationToken.None);
            foreach (var database in created)
            {
                // FORCE: a node killed a moment ago may still hold a connection.
                await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", conn);
                await cmd.ExecuteNonQueryAsync();
            }
        }

        private async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
        {
            var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Pooling = false }.ConnectionString);
            await conn.OpenAsync(ct);
            return conn;
        }
    }
}
