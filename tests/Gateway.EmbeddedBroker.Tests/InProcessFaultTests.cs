using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using static Gateway.EmbeddedBroker.Tests.KafkaClients;

namespace Gateway.EmbeddedBroker.Tests;

public sealed class InProcessFaultTests
{
    [Fact]
    public async Task Idempotent_producer_recovers_from_a_broker_going_down_and_up_without_loss_or_duplicates()
    {
        var topic = Unique("outage");
        using var broker = EmbeddedKafkaBroker.Start(new EmbeddedBrokerOptions
        {
            BrokerCount = 3,
            Topics = [new TopicSpec(topic, 6, 3)],
        });

        var acked = new ConcurrentDictionary<int, bool>();
        var failed = new ConcurrentBag<Error>();
        var produced = 0;
        var ackedAfterUp = 0;
        var upAt = long.MaxValue;
        // One request in flight, as the gateway runs against the mock (its duplicate check is exact only then).
        using var producer = IdempotentProducer(broker.BootstrapServers, c => c.MaxInFlight = 1);

        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var pump = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                for (var n = 0; n < 20; n++)
                {
                    var id = produced++;
                    producer.Produce(topic, new Message<string, string> { Key = $"k{id % 50}", Value = id.ToString() }, report =>
                    {
                        if (report.Error.IsError) failed.Add(report.Error);
                        else if (acked.TryAdd(id, true) && clock.ElapsedMilliseconds > Interlocked.Read(ref upAt)) Interlocked.Increment(ref ackedAfterUp);
                    });
                }
                await Task.Delay(2);
            }
        });

        await Task.Delay(500);
        broker.SetBrokerDown(2);
        await Task.Delay(1500);
        var producedWhileDown = produced;
        broker.SetBrokerUp(2);
        Interlocked.Exchange(ref upAt, clock.ElapsedMilliseconds);
        await Task.Delay(1000);
        await stop.CancelAsync();
        await pump;
        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));

        Assert.Empty(failed);
        Assert.Equal(produced, acked.Count);
        Assert.True(produced > producedWhileDown, "the producer kept producing after the broker came back");
        Assert.True(ackedAfterUp > 0, "acknowledgements resumed after the broker came back");

        using var consumer = Consumer(broker.BootstrapServers, Unique("group"));
        consumer.Subscribe(topic);
        var received = ConsumeAll(consumer, acked.Count, TimeSpan.FromSeconds(30));
        var ids = received.Select(r => int.Parse(r.Message.Value)).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count()); // no duplicates
        Assert.Empty(acked.Keys.Except(ids));            // nothing acknowledged was lost
    }

    [Fact]
    public async Task Idempotent_producer_retries_injected_not_leader_errors_and_every_record_lands_exactly_once()
    {
        const int count = 300;
        var topic = Unique("notleader");
        using var broker = EmbeddedKafkaBroker.Start(new EmbeddedBrokerOptions { Topics = [new TopicSpec(topic, 2)] });
        // One request in flight per partition: the mock's duplicate check is exact only then (see the pipelined test).
        using var producer = IdempotentProducer(broker.BootstrapServers, c => c.MaxInFlight = 1);
        await producer.ProduceAsync(topic, new Message<string, string> { Key = "warm", Value = "-1" });

        broker.StartRequestTracking();
        broker.PushRequestErrors(KafkaApi.Produce,
            ErrorCode.NotLeaderForPartition, ErrorCode.NotLeaderForPartition, ErrorCode.NotLeaderForPartition);
        var first = await producer.ProduceAsync(topic, new Message<string, string> { Key = "k0", Value = "0" });
        Assert.Equal(PersistenceStatus.Persisted, first.Status);
        // Three refused produce requests plus the one that succeeded: the producer really retried.
        Assert.True(broker.TrackedRequests().Count(r => r.Api == KafkaApi.Produce) >= 4);
        broker.StopRequestTracking();

        broker.PushRequestErrors(KafkaApi.Produce,
            ErrorCode.NotLeaderForPartition, ErrorCode.NotLeaderForPartition, ErrorCode.NotLeaderForPartition);
        var results = await Task.WhenAll(Enumerable.Range(1, count - 1)
            .Select(i => producer.ProduceAsync(topic, new Message<string, string> { Key = $"k{i % 7}", Value = i.ToString() })));
        Assert.All(results, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));

        using var consumer = Consumer(broker.BootstrapServers, Unique("group"));
        consumer.Subscribe(topic);
        var ids = ConsumeAll(consumer, count + 1, TimeSpan.FromSeconds(20))
            .Select(r => int.Parse(r.Message.Value)).Where(i => i >= 0).ToList();
        Assert.Equal(Enumerable.Range(0, count), ids.Order());
    }

    [Fact]
    public async Task Pipelined_idempotent_producer_under_injected_errors_never_duplicates_and_keeps_every_record_it_got_an_offset_for()
    {
        const int count = 300;
        var topic = Unique("pipelined");
        using var broker = EmbeddedKafkaBroker.Start(new EmbeddedBrokerOptions { Topics = [new TopicSpec(topic, 2)] });
        using var producer = IdempotentProducer(broker.BootstrapServers); // up to 5 requests in flight
        await producer.ProduceAsync(topic, new Message<string, string> { Key = "warm", Value = "-1" });

        broker.PushRequestErrors(KafkaApi.Produce,
            ErrorCode.NotLeaderForPartition, ErrorCode.NotLeaderForPartition, ErrorCode.NotLeaderForPartition);
        var results = await Task.WhenAll(Enumerable.Range(0, count)
            .Select(i => producer.ProduceAsync(topic, new Message<string, string> { Key = $"k{i % 7}", Value = i.ToString() })));
        Assert.All(results, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));

        using var consumer = Consumer(broker.BootstrapServers, Unique("group"));
        consumer.Subscribe(topic);
        var consumed = ConsumeAll(consumer, count + 1, TimeSpan.FromSeconds(20))
            .Where(r => r.Message.Value != "-1")
            .ToDictionary(r => r.Message.Value, r => r.TopicPartitionOffset); // throws on a duplicate

        // A retry the mock judges a duplicate is acknowledged without an offset; the mock checks only a
        // sequence range, so such a record may never have been written. With an offset it must be there.
        foreach (var acked in results.Where(r => r.Offset != Offset.Unset))
            Assert.Equal(acked.TopicPartitionOffset, consumed[acked.Message.Value]);
    }

    [Fact]
    public async Task Moving_a_partition_leader_to_a_down_broker_stalls_it_until_that_broker_is_up()
    {
        var topic = Unique("leader");
        using var broker = EmbeddedKafkaBroker.Start(new EmbeddedBrokerOptions { BrokerCount = 2, Topics = [new TopicSpec(topic, 1, 2)] });
        broker.SetPartitionLeader(topic, 0, 1);
        using var producer = IdempotentProducer(broker.BootstrapServers, c => c.MessageTimeoutMs = 20000);
        await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "0" });

        broker.SetBrokerDown(2);
        broker.SetPartitionLeader(topic, 0, 2);
        var pending = producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "1" });
        await Task.Delay(700);
        Assert.False(pending.IsCompleted, "no leader is reachable, so nothing can be acknowledged");

        broker.SetBrokerUp(2);
        var report = await pending.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(PersistenceStatus.Persisted, report.Status);
        Assert.Equal(1, report.Offset.Value);
    }

    [Fact]
    public void Fault_calls_reject_unknown_brokers_and_report_kafka_error_names()
    {
        using var broker = EmbeddedKafkaBroker.Start(new EmbeddedBrokerOptions { BrokerCount = 2 });
        Assert.Throws<ArgumentOutOfRangeException>(() => broker.SetBrokerDown(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => broker.SetRoundTripTime(0, TimeSpan.FromMilliseconds(5)));

        var topic = Unique("dup");
        broker.CreateTopic(topic, 1);
        var duplicate = Assert.Throws<EmbeddedBrokerException>(() => broker.CreateTopic(topic, 1));
        Assert.Equal(ErrorCode.TopicAlreadyExists, duplicate.Code);
        Assert.Contains("TOPIC_ALREADY_EXISTS", duplicate.Message);
    }

    [Fact]
    public void Disposed_broker_refuses_fault_calls_and_disposes_twice_safely()
    {
        var broker = EmbeddedKafkaBroker.Start();
        broker.Dispose();
        broker.Dispose();
        Assert.Throws<ObjectDisposedException>(() => broker.SetBrokerUp(1));
    }

    [Fact]
    public async Task Mock_cluster_and_clients_share_one_loaded_copy_of_librdkafka()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        using var producer = IdempotentProducer(broker.BootstrapServers);
        var topic = Unique("shared");
        broker.CreateTopic(topic, 1);
        await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "v" });

        var loaded = File.ReadAllLines("/proc/self/maps")
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 6 && Path.GetFileName(f[5]).Contains("librdkafka", StringComparison.Ordinal))
            .Select(f => f[5]).Distinct().ToList();
        Assert.Single(loaded);
    }
}
