using Npgsql;

namespace Gateway.Benchmarks;

/// <summary>The benchmark's own PostgreSQL connections are labelled, so pool and backend figures can leave them out.</summary>
public static class BenchmarkConnections
{
    public const string ApplicationName = "gateway-benchmark";

    public static string Label(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = ApplicationName }.ConnectionString;

    /// <summary>A pool named and labelled as the benchmark's (metrics name it, pg_stat_activity shows the label).</summary>
    public static NpgsqlDataSource Open(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(Label(connectionString));
        builder.Name = $"{ApplicationName}:{builder.ConnectionStringBuilder.Database}";
        return builder.Build();
    }
}
