using Gateway.Harness;

namespace Gateway.Harness.Tests;

/// <summary>
/// Two province nodes (15 内蒙古 origin, 51 四川 destination) as child processes, so a test can SIGKILL one,
/// with the embedded broker, a private PostgreSQL and a private redis-server. Re-sends are fast so a lost
/// envelope comes back within seconds, and the budget is large so no healthy exchange runs out of it.
/// </summary>
public sealed class ProcessClusterFixture : IAsyncLifetime
{
    public const string Origin = "15";
    public const string Destination = "51";

    public GatewayCluster Cluster { get; private set; } = null!;
    public TransferDriver Driver { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await StartAsync(startSimulators: true, peoplePerProvince: 160);
        Driver = new TransferDriver(Cluster);
    }

    /// <summary>Both nodes as processes with fast re-sends and a large budget; simulators optional.</summary>
    public static Task<GatewayCluster> StartAsync(bool startSimulators, int peoplePerProvince) =>
        GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = [Origin, Destination],
            NodesAsProcesses = true,
            StartSimulators = startSimulators,
            PeoplePerProvince = peoplePerProvince,
            DirectoryOnlyProvinces = ["44"], // the trust tests' stranger: a listed member, so its forgeries verify and reach the trust rules
            NodeSettings = new Dictionary<string, string>
            {
                ["Gateway:ResendFirstDelay"] = "00:00:01",
                ["Gateway:ResendMaxDelay"] = "00:00:02",
                ["Gateway:ResendBudget"] = "40",
                ["Gateway:OutboxPollInterval"] = "00:00:00.200",
            },
        });

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    public NodeDb Db(string province) => new(Cluster[province].ConnectionString);

    /// <summary>Sum of every personal-account balance in every province registry.</summary>
    public long TotalBalance() => Cluster.Nodes.Values.Sum(n => n.Registry.TotalBalance());
}

[CollectionDefinition(Name)]
public sealed class ProcessClusterCollection : ICollectionFixture<ProcessClusterFixture>
{
    public const string Name = "two nodes as processes";
}
