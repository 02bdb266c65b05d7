using Gateway.Harness;
using Npgsql;

namespace Gateway.Node.Tests;

/// <summary>Two province nodes (15 内蒙古, 51 四川) on the embedded broker, private PostgreSQL and a real redis-server.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public GatewayCluster Cluster { get; private set; } = null!;
    public TransferDriver Driver { get; private set; } = null!;
    public static DateOnly Today => TransferDriver.Today;

    public async Task InitializeAsync()
    {
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions { Provinces = ["15", "51"], PeoplePerProvince = 80 });
        Driver = new TransferDriver(Cluster);
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    public Task<long> CountAsync(string province, string sql, params (string Name, object Value)[] parameters) =>
        NodeRows.CountAsync(Cluster[province].ConnectionString, sql, parameters);
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "two-province cluster";
}
