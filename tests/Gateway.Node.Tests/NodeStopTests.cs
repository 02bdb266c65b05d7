using Gateway.Contracts.Sync.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Grpc.Core;

namespace Gateway.Node.Tests;

/// <summary>
/// A node stopping while its province system holds streams open: the streams end with UNAVAILABLE NODE_STOPPING and
/// the stop completes, instead of Kestrel waiting for them until the shutdown timeout and the host then disposing the
/// Kafka clients under the inbox loop.
/// </summary>
public sealed class NodeStopTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Open_streams_end_with_node_stopping_and_the_stop_does_not_wait_out_the_shutdown_timeout()
    {
        await using var cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = ["15", "51"], PeoplePerProvince = 20,
            // Far beyond the patience below: a stop that waits for the streams cannot pass.
            NodeSettings = new Dictionary<string, string> { ["shutdownTimeoutSeconds"] = "900" },
        });
        var node = cluster["15"];
        var workItems = new WorkItemService.WorkItemServiceClient(node.Channel);
        using var subscription = workItems.SubscribeWorkItems(new SubscribeWorkItemsRequest { Subscriber = "stop-test" });
        using var exchange = workItems.ExchangeWorkItems();
        await exchange.RequestStream.WriteAsync(new WorkItemClientMessage { Subscribe = new SubscribeWorkItemsRequest { Subscriber = "stop-test-exchange" } });
        using var watch = new RecordWatchService.RecordWatchServiceClient(node.Channel).WatchRecords(new WatchRecordsRequest { Cursor = 0 });
        // Headers mean each call is running on the node.
        await Task.WhenAll(subscription.ResponseHeadersAsync, exchange.ResponseHeadersAsync, watch.ResponseHeadersAsync).WaitAsync(Patience);

        var stop = node.StopAsync();

        await AssertStoppingAsync(() => Drain(subscription.ResponseStream));
        await AssertStoppingAsync(() => Drain(exchange.ResponseStream));
        await AssertStoppingAsync(() => Drain(watch.ResponseStream));
        await stop.WaitAsync(Patience);
        Assert.False(node.IsRunning);

        // It comes back and serves a new subscription.
        await node.StartAsync(CancellationToken.None);
        using var again = new WorkItemService.WorkItemServiceClient(node.Channel).SubscribeWorkItems(new SubscribeWorkItemsRequest { Subscriber = "stop-test" });
        await again.ResponseHeadersAsync.WaitAsync(Patience);
    }

    private static async Task Drain<T>(IAsyncStreamReader<T> stream)
    {
        while (await stream.MoveNext(CancellationToken.None)) { }
    }

    /// <summary>
    /// The stream ended: with the node's UNAVAILABLE NODE_STOPPING, or, when Kestrel closed the connection before that
    /// stream's trailers reached the client (seen under load), with the client's own transport error. Never a status
    /// the node sent other than UNAVAILABLE NODE_STOPPING.
    /// </summary>
    private static async Task AssertStoppingAsync(Func<Task> drain)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => drain().WaitAsync(Patience));
        if (ex.Status.DebugException is HttpProtocolException or IOException) return; // the client's own: no status from the node
        Assert.True(ex.StatusCode == StatusCode.Unavailable, $"{ex.StatusCode}: {ex.Status.Detail}");
        Assert.Equal("NODE_STOPPING", ErrorDetails.Reason(ex));
    }
}
