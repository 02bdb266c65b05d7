using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.Storage;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;
using WorkItem = Gateway.Contracts.Transfer.V1.WorkItem;

namespace Gateway.Node.Tests;

/// <summary>One node with no province system attached and a 2 s redelivery timeout; the tests subscribe themselves.</summary>
public sealed class RedeliveryNodeFixture : IAsyncLifetime
{
    public const string Province = "15";
    public static readonly TimeSpan RedeliveryTimeout = TimeSpan.FromSeconds(2);

    public GatewayCluster Cluster { get; private set; } = null!;
    public NodeDatabase Db { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = [Province],
            StartSimulators = false,
            UseRedis = false,
            PeoplePerProvince = 5,
            NodeSettings = new Dictionary<string, string> { ["Gateway:WorkItemRedeliveryTimeout"] = RedeliveryTimeout.ToString() },
        });
        Db = NodeDatabase.Create(Cluster[Province].ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (Db is not null) await Db.DisposeAsync();
        if (Cluster is not null) await Cluster.DisposeAsync();
    }
}

public sealed class WorkItemRedeliveryTests(RedeliveryNodeFixture fx) : IClassFixture<RedeliveryNodeFixture>, IAsyncLifetime
{
    // Generous: the machine is shared and slow; nothing below measures a duration.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static readonly DateTimeOffset Base = DateTimeOffset.UtcNow;

    private readonly string _prefix = $"redeliver-{Guid.NewGuid():N}-";

    public Task InitializeAsync() => Task.CompletedTask;

    // Items left pending would be streamed to the next test's subscription.
    public async Task DisposeAsync()
    {
        await using var cmd = fx.Db.DataSource.CreateCommand("UPDATE work_items SET status = 'cancelled' WHERE item_id LIKE @p AND status = 'pending'");
        cmd.Parameters.AddWithValue("p", _prefix + "%");
        await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Unanswered_item_is_delivered_again_on_the_same_open_stream_after_the_timeout()
    {
        await using var stream = new Subscription(fx.Cluster[RedeliveryNodeFixture.Province].Channel);
        var item = await AddAsync(0);

        await stream.WaitUntilAsync(r => r.Any(i => i.ItemId == item && i.DeliveryCount == 2), Patience, "the item delivered a second time");

        Assert.Equal([1, 2], stream.Received.Where(i => i.ItemId == item).Select(i => i.DeliveryCount).Take(2));
        var stored = await fx.Db.WithConnectionAsync((c, ct) => WorkItemStore.GetAsync(c, null, item, ct));
        Assert.Equal(WorkItemStatus.Pending, stored!.Status);
        Assert.True(stored.DeliveryCount >= 2, $"delivery_count {stored.DeliveryCount}");
    }

    [Fact]
    public async Task Answered_or_cancelled_item_is_never_delivered_again()
    {
        await using var stream = new Subscription(fx.Cluster[RedeliveryNodeFixture.Province].Channel);
        var answered = await AddAsync(0);
        var cancelled = await AddAsync(1);
        await stream.WaitUntilAsync(r => r.Any(i => i.ItemId == answered) && r.Any(i => i.ItemId == cancelled), Patience, "both items delivered");

        // The count read under the row lock of the change: deliveries claimed before it may still arrive, none after.
        var answeredCount = await fx.Db.InTransactionAsync(async (c, t, ct) =>
        {
            await WorkItemStore.MarkAnsweredAsync(c, t, answered, [1], DateTimeOffset.UtcNow, ct);
            return (await WorkItemStore.GetAsync(c, t, answered, ct))!.DeliveryCount;
        });
        var cancelledCount = await fx.Db.InTransactionAsync(async (c, t, ct) =>
        {
            await WorkItemStore.MarkCancelledAsync(c, t, cancelled, DateTimeOffset.UtcNow, ct);
            return (await WorkItemStore.GetAsync(c, t, cancelled, ct))!.DeliveryCount;
        });
        // A control item first sent after both changes: once it comes again, the two would have been due before it.
        var control = await AddAsync(2);
        await stream.WaitUntilAsync(r => r.Any(i => i.ItemId == control && i.DeliveryCount == 2), Patience, "the control item delivered again");

        Assert.DoesNotContain(stream.Received, i => i.ItemId == answered && i.DeliveryCount > answeredCount);
        Assert.DoesNotContain(stream.Received, i => i.ItemId == cancelled && i.DeliveryCount > cancelledCount);
        Assert.Equal(answeredCount, (await fx.Db.WithConnectionAsync((c, ct) => WorkItemStore.GetAsync(c, null, answered, ct)))!.DeliveryCount);
        Assert.Equal(cancelledCount, (await fx.Db.WithConnectionAsync((c, ct) => WorkItemStore.GetAsync(c, null, cancelled, ct)))!.DeliveryCount);
    }

    [Fact]
    public async Task Many_pending_items_are_each_streamed_once_on_subscription_then_once_per_timeout()
    {
        const int count = 5_000;
        var ids = await AddManyAsync(count);

        await using var stream = new Subscription(fx.Cluster[RedeliveryNodeFixture.Province].Channel);
        await stream.WaitUntilAsync(
            r => r.Where(i => i.ItemId.StartsWith(_prefix, StringComparison.Ordinal) && i.DeliveryCount >= 2).Select(i => i.ItemId).Distinct().Count() == count,
            TimeSpan.FromMinutes(4), "every item delivered a second time");

        var mine = stream.Received.Where(i => i.ItemId.StartsWith(_prefix, StringComparison.Ordinal)).ToList();
        // The subscription's first pass: every pending item once, oldest first, before any redelivery.
        Assert.Equal(ids, mine.Take(count).Select(i => i.ItemId));
        Assert.All(mine.Take(count), i => Assert.Equal(1, i.DeliveryCount));
        // Afterwards an item comes again only when due: each delivery of it counted once, none repeated or skipped.
        foreach (var deliveries in mine.GroupBy(i => i.ItemId))
            Assert.Equal(Enumerable.Range(1, deliveries.Count()), deliveries.Select(i => i.DeliveryCount));
    }

    private Storage.WorkItem NewItem(int i)
    {
        var id = $"{_prefix}{i:D5}";
        var payload = new WorkItem { ItemId = id, Kind = WorkItemKind.CreditBalance, AmountFen = 100 + i }.ToByteArray();
        // Distinct creation times in index order, so the expected first-pass order is the index order.
        return new Storage.WorkItem(id, "credit_balance", null, payload, Base + TimeSpan.FromMilliseconds(i));
    }

    private async Task<string> AddAsync(int i)
    {
        var item = NewItem(i);
        await fx.Db.InTransactionAsync((c, t, ct) => WorkItemStore.AddAsync(c, t, item, ct));
        return item.ItemId;
    }

    private async Task<List<string>> AddManyAsync(int count)
    {
        var items = Enumerable.Range(0, count).Select(NewItem).ToList();
        await fx.Db.InTransactionAsync(async (c, t, ct) =>
        {
            foreach (var item in items) await WorkItemStore.AddAsync(c, t, item, ct);
        });
        return items.Select(i => i.ItemId).ToList();
    }

    /// <summary>
    /// One SubscribeWorkItems call, as a province system holds it, recording what arrives. It never re-subscribes
    /// and a wait fails if the stream ends, so every redelivery a test sees came on the same open stream.
    /// </summary>
    private sealed class Subscription : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly AsyncServerStreamingCall<WorkItem> _call;
        private readonly List<WorkItem> _received = [];
        private readonly Task _reading;

        public Subscription(GrpcChannel channel)
        {
            var client = new WorkItemService.WorkItemServiceClient(channel);
            _call = client.SubscribeWorkItems(new SubscribeWorkItemsRequest { Subscriber = "redelivery-test" }, cancellationToken: _stop.Token);
            _reading = ReadAsync();
        }

        public IReadOnlyList<WorkItem> Received
        {
            get { lock (_received) return _received.ToList(); }
        }

        public async Task WaitUntilAsync(Func<IReadOnlyList<WorkItem>, bool> condition, TimeSpan timeout, string what)
        {
            var until = DateTime.UtcNow + timeout;
            while (!condition(Received))
            {
                // A stream that ended would make the wait pointless: report why.
                if (_reading.IsCompleted)
                {
                    await _reading;
                    throw new InvalidOperationException($"The work-item stream ended before {what}.");
                }
                if (DateTime.UtcNow > until) throw new TimeoutException($"Not seen within {timeout}: {what} ({Received.Count} items received).");
                await Task.Delay(100);
            }
        }

        private async Task ReadAsync()
        {
            try
            {
                await foreach (var item in _call.ResponseStream.ReadAllAsync(_stop.Token))
                    lock (_received) _received.Add(item);
            }
            catch (Exception ex) when (_stop.IsCancellationRequested && ex is OperationCanceledException or RpcException) { }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _reading;
            _call.Dispose();
            _stop.Dispose();
        }
    }
}
