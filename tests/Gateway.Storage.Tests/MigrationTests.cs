using Npgsql;

namespace Gateway.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class MigrationTests(PostgresFixture fixture)
{
    [Fact]
    public void Embedded_migrations_are_numbered_from_0001_without_gaps()
    {
        var versions = Migration.Embedded.Select(m => m.Version).ToList();
        Assert.NotEmpty(versions);
        Assert.Equal(Enumerable.Range(1, versions.Count), versions);
        Assert.Equal("exchange_infrastructure", Migration.Embedded[0].Name);
    }

    [Fact]
    public async Task Empty_database_is_migrated_to_the_latest_version_and_has_the_exchange_tables()
    {
        await using var dataSource = NpgsqlDataSource.Create(await fixture.CreateDatabaseAsync("migrate"));
        Assert.Equal(0, await Migrator.CurrentVersionAsync(dataSource));

        var applied = await Migrator.ApplyAsync(dataSource);

        Assert.Equal(Migration.Embedded.Select(m => m.Version), applied);
        Assert.Equal(Migration.Embedded[^1].Version, await Migrator.CurrentVersionAsync(dataSource));
        foreach (var table in new[] { "inbox", "outbox", "outbox_attempts", "dead_letters", "idempotency_keys", "work_items", "audit_log" })
        {
            await using var cmd = dataSource.CreateCommand($"SELECT to_regclass('{table}') IS NOT NULL");
            Assert.True((bool)(await cmd.ExecuteScalarAsync())!, $"table {table} missing");
        }
    }

    [Fact]
    public async Task Reapplying_migrations_changes_nothing()
    {
        await using var dataSource = NpgsqlDataSource.Create(await fixture.CreateDatabaseAsync("reapply"));
        await Migrator.ApplyAsync(dataSource);

        var second = await Migrator.ApplyAsync(dataSource);

        Assert.Empty(second);
        await using var cmd = dataSource.CreateCommand("SELECT count(*) FROM schema_migrations");
        Assert.Equal((long)Migration.Embedded.Count, (long)(await cmd.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Concurrent_starters_apply_each_migration_exactly_once()
    {
        await using var dataSource = NpgsqlDataSource.Create(await fixture.CreateDatabaseAsync("race"));

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Migrator.ApplyAsync(dataSource))));

        var all = results.SelectMany(r => r).ToList();
        Assert.Equal(Migration.Embedded.Select(m => m.Version).Order(), all.Order());
        Assert.Equal(Migration.Embedded[^1].Version, await Migrator.CurrentVersionAsync(dataSource));
    }

    [Fact]
    public async Task A_failing_migration_rolls_back_alone_and_keeps_the_earlier_ones()
    {
        await using var dataSource = NpgsqlDataSource.Create(await fixture.CreateDatabaseAsync("failing"));
        var good = new Migration(1, "first", "CREATE TABLE first_table (id int)");
        var bad = new Migration(2, "second", "CREATE TABLE second_table (id int); SELECT * FROM no_such_table");

        await Assert.ThrowsAsync<PostgresException>(() => Migrator.ApplyAsync(dataSource, [bad, good]));

        Assert.Equal(1, await Migrator.CurrentVersionAsync(dataSource));
        await using (var cmd = dataSource.CreateCommand("SELECT to_regclass('second_table') IS NULL"))
        {
            Assert.True((bool)(await cmd.ExecuteScalarAsync())!);
        }

        var fixedSecond = bad with { Sql = "CREATE TABLE second_table (id int)" };
        var applied = await Migrator.ApplyAsync(dataSource, [good, fixedSecond]);
        Assert.Equal([2], applied);
        Assert.Equal(2, await Migrator.CurrentVersionAsync(dataSource));
    }
}
