using Gateway.LocalServers;

namespace Gateway.Storage.Tests;

/// <summary>One private PostgreSQL for the whole suite; each test class takes its own database on it.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;
    private int _counter;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("Fixture not started.");

    public async Task InitializeAsync() => _server = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>A fresh empty database on the shared server.</summary>
    public Task<string> CreateDatabaseAsync(string purpose) =>
        Server.CreateDatabaseAsync($"{purpose}_{Interlocked.Increment(ref _counter)}");

    /// <summary>A fresh database with the embedded migrations applied.</summary>
    public async Task<NodeDatabase> CreateMigratedDatabaseAsync(string purpose, NodeDatabaseOptions? options = null)
    {
        var db = NodeDatabase.Create(await CreateDatabaseAsync(purpose), options);
        await db.MigrateAsync();
        return db;
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}

/// <summary>Base for test classes that share one migrated database, disposed after the class.</summary>
public abstract class DatabaseTest(PostgresFixture fixture, string purpose) : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    protected PostgresFixture Fixture { get; } = fixture;

    protected NodeDatabase Db { get; private set; } = null!;

    public virtual async Task InitializeAsync() => Db = await Fixture.CreateMigratedDatabaseAsync(purpose);

    public virtual async Task DisposeAsync() => await Db.DisposeAsync();

    protected static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
