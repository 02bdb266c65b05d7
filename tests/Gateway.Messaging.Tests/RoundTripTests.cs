using System.Diagnostics;
using System.Text;
using Gateway.Messaging;
using static Gateway.Messaging.Tests.BrokerFixture;

namespace Gateway.Messaging.Tests;

public sealed class RoundTripTests
{
    [Fact]
    public async Task Published_batch_arrives_once_with_keys_headers_and_per_key_order()
    {
        using var fixture = new BrokerFixture();
        var topic = TopicNames.Inbox("51");
        fixture.Broker.CreateTopic(topic, 3);
        using var producer = new EnvelopeProducer(fixture.Options());

        var records = Enumerable.Range(0, 600)
            .Select(i => Record(topic, $"transfer-{i % 17}", $"{i}", new Dictionary<string, string> { ["message-id"] = $"m{i}" }))
            .ToList();
        var results = await producer.PublishBatchAsync(records, CancellationToken.None);

        Assert.Equal(records.Count, results.Count);
        Assert.All(results, r => Assert.True(r.Succeeded, r.Error));
        Assert.Equal(records, results.Select(r => r.Record)); // answers line up with the input

        using var consumer = new InboxConsumer(fixture.Options(), UniqueGroup());
        consumer.Subscribe(topic);
        var received = Drain(consumer, records.Count, TimeSpan.FromSeconds(20));

        Assert.Equal(records.Count, received.Count);
        Assert.Equal(Enumerable.Range(0, 600), received.Select(r => int.Parse(Text(r))).Order());
        foreach (var r in received)
        {
            var id = int.Parse(Text(r));
            Assert.Equal($"transfer-{id % 17}", r.Message.Key);
            Assert.Equal($"m{id}", Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes("message-id")));
            // The acknowledged position is where the consumer found it.
            Assert.Equal(results[id].Position, r.TopicPartitionOffset);
        }
        foreach (var perKey in received.GroupBy(r => r.Message.Key))
        {
            var ids = perKey.Select(r => int.Parse(Text(r))).ToList();
            Assert.Equal(ids.Order(), ids);
        }
    }

    [Fact]
    public async Task Consumer_resumes_after_committed_offsets_and_redelivers_what_was_not_committed()
    {
        using var fixture = new BrokerFixture();
        var topic = TopicNames.Inbox("11");
        fixture.Broker.CreateTopic(topic, 2);
        var group = UniqueGroup();
        using (var producer = new EnvelopeProducer(fixture.Options()))
        {
            var results = await producer.PublishBatchAsync(
                Enumerable.Range(0, 40).Select(i => Record(topic, $"k{i % 5}", $"{i}")).ToList(), CancellationToken.None);
            Assert.All(results, r => Assert.True(r.Succeeded, r.Error));
        }

        List<ConsumeResult<string, byte[]>> committed;
        List<ConsumeResult<string, byte[]>> uncommitted;
        using (var first = new InboxConsumer(fixture.Options(), group))
        {
            first.Subscribe(topic);
            var all = Drain(first, 40, TimeSpan.FromSeconds(20));
            Assert.Equal(40, all.Count);
            // Process (and commit) the first half of each partition only; hand them over out of order.
            var split = all.GroupBy(r => r.Partition.Value)
                .Select(g => g.OrderBy(r => r.Offset.Value).ToList())
                .Select(p => (Done: p.Take(p.Count / 2).ToList(), Later: p.Skip(p.Count / 2).ToList()))
                .ToList();
            committed = split.SelectMany(s => s.Done).ToList();
            uncommitted = split.SelectMany(s => s.Later).ToList();
            first.Commit(Enumerable.Reverse(committed));
        }

        using var second = new InboxConsumer(fixture.Options(), group);
        second.Subscribe(topic);
        var redelivered = Drain(second, uncommitted.Count, TimeSpan.FromSeconds(30));

        Assert.Equal(uncommitted.Select(Text).Order(), redelivered.Select(Text).Order());
        Assert.Empty(redelivered.Select(Text).Intersect(committed.Select(Text)));
    }

    [Fact]
    public async Task Rewound_batch_is_consumed_again()
    {
        using var fixture = new BrokerFixture();
        var topic = TopicNames.Inbox("44");
        fixture.Broker.CreateTopic(topic, 1);
        using var producer = new EnvelopeProducer(fixture.Options());
        await producer.PublishBatchAsync(Enumerable.Range(0, 10).Select(i => Record(topic, "k", $"{i}")).ToList(), CancellationToken.None);

        using var consumer = new InboxConsumer(fixture.Options(), UniqueGroup());
        consumer.Subscribe(topic);
        var first = Drain(consumer, 10, TimeSpan.FromSeconds(20));
        Assert.Equal(10, first.Count);

        consumer.Rewind(first.Skip(4)); // pretend the database refused records 4..9
        var again = Drain(consumer, 6, TimeSpan.FromSeconds(10));
        Assert.Equal(Enumerable.Range(4, 6).Select(i => i.ToString()), again.Select(Text));
    }

    [Fact]
    public async Task Consume_batch_returns_as_soon_as_records_arrive_and_caps_the_batch()
    {
        using var fixture = new BrokerFixture();
        var topic = TopicNames.Inbox("32");
        fixture.Broker.CreateTopic(topic, 1);
        using var consumer = new InboxConsumer(fixture.Options(), UniqueGroup());
        consumer.Subscribe(topic);

        // Nothing there: waits out maxWait and returns empty.
        var idle = Stopwatch.StartNew();
        Assert.Empty(consumer.ConsumeBatch(10, TimeSpan.FromMilliseconds(400), CancellationToken.None));
        Assert.InRange(idle.ElapsedMilliseconds, 350, 5000);

        using var producer = new EnvelopeProducer(fixture.Options());
        await producer.PublishBatchAsync(Enumerable.Range(0, 25).Select(i => Record(topic, "k", $"{i}")).ToList(), CancellationToken.None);

        var busy = Stopwatch.StartNew();
        var batch = consumer.ConsumeBatch(10, TimeSpan.FromSeconds(20), CancellationToken.None);
        Assert.True(busy.Elapsed < TimeSpan.FromSeconds(10), $"took {busy.Elapsed}");
        Assert.InRange(batch.Count, 1, 10);
        Assert.Equal("0", Text(batch[0]));
    }

    [Fact]
    public void Consume_batch_honours_cancellation()
    {
        using var fixture = new BrokerFixture();
        using var consumer = new InboxConsumer(fixture.Options(), UniqueGroup());
        consumer.Subscribe(TopicNames.Inbox("65"));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = Stopwatch.StartNew();
        Assert.Throws<OperationCanceledException>(() => consumer.ConsumeBatch(10, TimeSpan.FromSeconds(30), cts.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
    }
}
