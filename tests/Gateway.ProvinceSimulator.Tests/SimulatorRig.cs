using Gateway.Contracts.Transfer.V1;
using Gateway.ProvinceSimulator.Tests.FakeNode;

namespace Gateway.ProvinceSimulator.Tests;

/// <summary>A fake node, a registry and a started simulator wired together for one test.</summary>
internal sealed class SimulatorRig : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static SimulatorOptions FastOptions => new()
    {
        MinBackoff = TimeSpan.FromMilliseconds(50),
        MaxBackoff = TimeSpan.FromMilliseconds(400),
        CallTimeout = TimeSpan.FromSeconds(5),
    };

    private SimulatorRig(FakeWorkItemStore store, FakeTransferLog transfers, FakeNodeServer server, SyntheticRegistry registry, SimulatedProvinceSystem system)
    {
        Store = store;
        Transfers = transfers;
        Server = server;
        Registry = registry;
        System = system;
    }

    public FakeWorkItemStore Store { get; }
    public FakeTransferLog Transfers { get; }
    public FakeNodeServer Server { get; set; }
    public SyntheticRegistry Registry { get; }
    public SimulatedProvinceSystem System { get; }

    public static async Task<SimulatorRig> StartAsync(string province = "15", SyntheticRegistry? registry = null, int seed = 7, SimulatorOptions? options = null)
    {
        var store = new FakeWorkItemStore();
        var transfers = new FakeTransferLog();
        var server = await FakeNodeServer.StartAsync(store, transfers);
        registry ??= SyntheticRegistry.Create(province, 30, seed);
        var system = new SimulatedProvinceSystem(province, server.Address, registry, options: options ?? FastOptions);
        await system.StartAsync();
        await system.WaitForSubscribedAsync(Patience);
        return new SimulatorRig(store, transfers, server, registry, system);
    }

    public SyntheticPerson PersonWith(Func<SyntheticPerson, bool> predicate) => Registry.People.First(predicate);

    public async ValueTask DisposeAsync()
    {
        await System.DisposeAsync();
        await Server.DisposeAsync();
    }
}

internal static class Items
{
    public static WorkItem Of(WorkItemKind kind, string itemId, SyntheticPerson person, long amountFen = 0) => new()
    {
        ItemId = itemId,
        Kind = kind,
        TransferId = "T-" + itemId,
        Person = person.ToProto(),
        Insutype = person.InsuranceType,
        AmountFen = amountFen,
        CounterpartProvince = "51",
    };
}
