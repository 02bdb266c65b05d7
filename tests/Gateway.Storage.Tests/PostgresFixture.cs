using Gateway.LocalServers;
using Npgsql;

namespace Gateway.Storage.Tests;

/// <summary>
/// One private PostgreSQL for the whole suite. Each store test class gets its own migrated schema, emptied
/// before every test (far cheaper than a database or a migration per test); migration tests get whole databases.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;
    private string _storesDatabase = "";
    private readonly Dictionary<string, NodeDatabase> _schemas = [];
    private int _counter;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("Fixture not started.");

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartAsync(PostgresServerOptions.ForTests);
        _storesDatabase = await _server.CreateDatabaseAsync("stores");
    }

    public async Task DisposeAsync()
    {
        foreach (var db in _schemas.Values)
        {
            await db.DisposeAsync();
        }
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>A fresh empty database on the shared server.</summary>
    public Task<string> CreateDatabaseAsync(string purpose) =>
        Server.CreateDatabaseAsync($"{purpose}_{Interlocked.Increment(ref _counter)}");

    /// <summary>The migrated schema kept for <paramref name="purpose"/>, with every table emptied.</summary>
    public async Task<NodeDatabase> CleanSchemaAsync(string purpose)
    {
        if (!_schemas.TryGetValue(purpose, out var db))
        {
            db = await CreateMigratedSchemaAsync(purpose);
            _schemas[purpose] = db;
            return db;
        }
        await db.InTransactionAsync(async (c, t, ct) =>
        {
            await using var list = new NpgsqlCommand(
                "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'",
                c, t);
            var tables = (string)(await list.ExecuteScalarAsync(ct))!;
            await using var truncate = new NpgsqlCommand($"TRUNCATE {tables} RESTART IDENTITY CASCADE", c, t);
            await truncate.ExecuteNonQueryAsync(ct);
        });
        return db;
    }

    /// <summary>A fresh schema with the embedded migrations applied, reached through the search path.</summary>
    public async Task<NodeDatabase> CreateMigratedSchemaAsync(string purpose, NodeDatabaseOptions? options = null)
    {
        var schema = $"{purpose}_{Interlocked.Increment(ref _counter)}";
        await using (var admin = new NpgsqlConnection(_storesDatabase))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE SCHEMA {schema}", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        var builder = new NpgsqlConnectionStringBuilder(_storesDatabase) { SearchPath = schema };
        var db = NodeDatabase.Create(builder.ConnectionString, options);
        await db.MigrateAsync();
        return db;
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}

/// <summary>Base for store tests: the class's migrated schema, empty at the start of each test.</summary>
public abstract class DatabaseTest(PostgresFixture fixture, string purpose) : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    protected PostgresFixture Fixture { get; } = fixture;

    protected NodeDatabase Db { get; private set; } = null!;

    public virtual async Task InitializeAsync() => Db = await Fixture.CleanSchemaAsync(purpose);

    // The fixture owns the schema and its data source.
    public virtual Task DisposeAsync() => Task.CompletedTask;

    protected static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
