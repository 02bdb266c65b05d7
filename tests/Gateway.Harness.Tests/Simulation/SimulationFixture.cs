using Gateway.Harness.Simulation;

namespace Gateway.Harness.Tests.Simulation;

/// <summary>
/// The CI short scenario, run once for the collection: 2 provinces, 200 transfers, filings and enrolment changes under
/// one fault of each kind (SIGKILL, broker outage, Redis flush, duplicated envelopes among them). The cluster stays up
/// after the run, so the breaking tests can damage it and show each invariant notices.
/// </summary>
public sealed class SimulationFixture : IAsyncLifetime
{
    public static readonly Scenario Ci = Scenario.Short(seed: 13) with
    {
        Transfers = 200,
        Filings = 30,
        Enrolments = 16,
        Concurrency = 8,
        ExtraRandomFaults = 0,
        FaultWindow = TimeSpan.FromSeconds(45),
        QuiescenceTimeout = TimeSpan.FromMinutes(2),
    };

    public GatewayCluster Cluster { get; private set; } = null!;
    public SimulationState State { get; private set; } = null!;
    public SimulationReport Report { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await GatewayCluster.StartAsync(Gateway.Harness.Simulation.Simulation.ClusterOptionsFor(Ci));
        (State, Report) = await Gateway.Harness.Simulation.Simulation.RunOnAsync(Cluster, Ci);
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }
}

/// <summary>Runs alone, after the parallel collections: the scenario needs both cores to finish in a few minutes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SimulationCollection : ICollectionFixture<SimulationFixture>
{
    public const string Name = "harness short scenario";
}
