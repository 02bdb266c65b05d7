using System.Net;
using System.Net.Sockets;
using Gateway.Contracts.Transfer.V1;
using Gateway.ProvinceSimulator.Tests.FakeNode;

namespace Gateway.ProvinceSimulator.Tests;

/// <summary>The node may be stopped and restarted under the simulator; it must come back by itself.</summary>
public sealed class ReconnectTests
{
    private static readonly TimeSpan Patience = SimulatorRig.Patience;

    [Fact]
    public async Task Resubscribes_after_the_node_stops_and_restarts_on_the_same_port()
    {
        await using var rig = await SimulatorRig.StartAsync("15");
        var person = rig.Registry.People[0];
        rig.Store.Enqueue(Items.Of(WorkItemKind.CheckOriginEnrolment, "before", person));
        await rig.System.WaitForAnsweredAsync("before", Patience);

        var port = rig.Server.Port;
        await rig.Server.DisposeAsync();
        await Eventually(() => rig.System.Counters.Disconnects >= 1);
        rig.Server = await FakeNodeServer.StartAsync(rig.Store, port: port);
        await rig.System.WaitForSubscribedAsync(Patience, count: 2);

        rig.Store.Enqueue(Items.Of(WorkItemKind.CheckOriginEnrolment, "after", person));
        await rig.System.WaitForAnsweredAsync("after", Patience);
        Assert.Equal(port, rig.Server.Port);
        Assert.True(rig.System.Counters.Subscriptions >= 2);
    }

    [Theory]
    [InlineData(WorkItemPath.Stream)]
    [InlineData(WorkItemPath.Unary)]
    public async Task An_item_left_unanswered_across_a_node_restart_is_redelivered_and_debited_once(WorkItemPath path)
    {
        await using var rig = await SimulatorRig.StartAsync("15", options: SimulatorRig.FastOptions with { Path = path });
        var person = rig.PersonWith(p => p.BalanceFen > 0);
        var total = rig.Registry.TotalBalance();
        rig.System.Pause();
        rig.Store.Enqueue(Items.Of(WorkItemKind.BuildInformationTable, "table-across", person));
        await rig.System.WaitForReceivedAsync(i => i.ItemId == "table-across", Patience);

        // The node goes away while the item is still unanswered; the answer cannot get through.
        var port = rig.Server.Port;
        await rig.Server.DisposeAsync();
        rig.System.Resume();
        await Eventually(() => rig.System.Counters.AnswerFailures >= 1);
        Assert.Null(rig.Store.AnswerOf("table-across"));

        // Back up: the node replays the unanswered item and the cached answer goes through.
        rig.Server = await FakeNodeServer.StartAsync(rig.Store, port: port);
        var answered = await rig.System.WaitForAnsweredAsync("table-across", Patience);

        Assert.True(answered.Repeat);
        Assert.Equal(2, answered.Item.DeliveryCount);
        Assert.Equal(person.BalanceFen, rig.Store.AnswerOf("table-across")!.InformationTable.TransferredAmountFen);
        Assert.Equal(total - person.BalanceFen, rig.Registry.TotalBalance());
        Assert.True(rig.System.Counters.Duplicates >= 1);
    }

    [Fact]
    public async Task Keeps_trying_until_a_node_that_was_not_yet_up_appears()
    {
        var port = FreeLoopbackPort();
        var store = new FakeWorkItemStore();
        var registry = SyntheticRegistry.Create("64", 10, seed: 3);
        await using var system = new SimulatedProvinceSystem("64", new Uri($"http://127.0.0.1:{port}"), registry, options: SimulatorRig.FastOptions);
        await system.StartAsync();
        await Eventually(() => system.Counters.Disconnects >= 2);
        Assert.Equal(0, system.Counters.Subscriptions);

        await using var server = await FakeNodeServer.StartAsync(store, port: port);
        await system.WaitForSubscribedAsync(Patience);
        store.Enqueue(Items.Of(WorkItemKind.CheckOriginEnrolment, "late", registry.People[0]));
        await system.WaitForAnsweredAsync("late", Patience);
    }

    [Fact]
    public async Task Retries_back_off_instead_of_spinning_while_the_node_is_down()
    {
        var port = FreeLoopbackPort();
        var registry = SyntheticRegistry.Create("64", 1, seed: 3);
        var options = SimulatorRig.FastOptions with { MinBackoff = TimeSpan.FromMilliseconds(100), MaxBackoff = TimeSpan.FromMilliseconds(200) };
        await using var system = new SimulatedProvinceSystem("64", new Uri($"http://127.0.0.1:{port}"), registry, options: options);
        await system.StartAsync();
        await Task.Delay(1_000);
        // At least 80 ms between tries (jittered 100-200 ms), so one second allows a dozen at most.
        Assert.InRange(system.Counters.Disconnects, 1, 13);
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("Condition not met in time.");
            await Task.Delay(20);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
