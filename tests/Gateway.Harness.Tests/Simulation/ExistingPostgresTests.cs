using Gateway.Harness.Simulation;
using Gateway.LocalServers;
using Npgsql;

namespace Gateway.Harness.Tests.Simulation;

/// <summary>A run pointed at a PostgreSQL server it did not start: its own databases there, every invariant checked, nothing left behind.</summary>
public sealed class ExistingPostgresTests
{
    [Fact]
    public async Task A_run_on_an_existing_server_keeps_its_invariants_and_drops_the_databases_it_created()
    {
        // The "existing" server: started here, as an agency's would already be running.
        await using var server = await PostgresServer.StartAsync(new PostgresServerOptions { MaxConnections = 120 });
        await using (var conn = new NpgsqlConnection(server.ConnectionString()))
        {
            await conn.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE agency_data", conn);
            await create.ExecuteNonQueryAsync();
        }
        var scenario = Scenario.Short(seed: 99) with
        {
            Transfers = 12, Filings = 8, Enrolments = 6, Faults = "none", Concurrency = 4,
            Postgres = server.ConnectionString(),
        };
        Assert.Empty(scenario.Problems());

        List<string> during = [];
        var report = await Gateway.Harness.Simulation.Simulation.RunAsync(scenario,
            beforeWorkload: async cluster =>
            {
                during = await DatabasesAsync(server);
                Assert.Null(cluster.Databases.Private);
                Assert.Throws<InvalidOperationException>(() => cluster.Postgres);
            });

        var failed = report.Invariants.Where(i => !i.Passed).Select(i => $"{i.Name}: {string.Join(" | ", i.Counterexamples)}").ToList();
        Assert.True(failed.Count == 0, string.Join(Environment.NewLine, failed));
        Assert.True(report.Figures.TransfersStarted > 0);
        // One database per node, under the run's own prefix, beside what the server already held; gone afterwards.
        var created = during.Where(d => d.StartsWith("gwh_", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, created.Count);
        Assert.Single(created.Select(d => d[..d.IndexOf("_node_", StringComparison.Ordinal)]).Distinct());
        Assert.All(new[] { "15", "51" }, p => Assert.Contains(created, d => d.EndsWith($"_node_{p}", StringComparison.Ordinal)));
        var after = await DatabasesAsync(server);
        Assert.DoesNotContain(after, d => d.StartsWith("gwh_", StringComparison.Ordinal));
        Assert.Contains("agency_data", after);
    }

    private static async Task<List<string>> DatabasesAsync(PostgresServer server)
    {
        await using var conn = new NpgsqlConnection(server.ConnectionString());
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT datname FROM pg_database ORDER BY datname", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var names = new List<string>();
        while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        return names;
    }
}
