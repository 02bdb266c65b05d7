using System.Diagnostics;
using Gateway.Messaging;
using static Gateway.Messaging.Tests.BrokerFixture;

namespace Gateway.Messaging.Tests;

public sealed class ProducerFailureTests
{
    [Fact]
    public async Task Unreachable_broker_fails_every_record_within_the_delivery_timeout_without_throwing()
    {
        using var fixture = new BrokerFixture();
        var topic = TopicNames.Inbox("21");
        fixture.Broker.CreateTopic(topic, 1);
        using var producer = new EnvelopeProducer(fixture.Options(o => o.DeliveryTimeoutMs = 1000));
        fixture.Broker.SetBrokerDown(1);

        var clock = Stopwatch.StartNew();
        var results = await producer.PublishBatchAsync(
            Enumerable.Range(0, 5).Select(i => Record(topic, "k", $"{i}")).ToList(), CancellationToken.None);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}");
        Assert.Equal(5, results.Count);
        Assert.All(results, r =>
        {
            Assert.False(r.Succeeded);
            Assert.Null(r.Position);
            Assert.False(string.IsNullOrEmpty(r.Error));
        });
    }

    [Fact]
    public async Task One_oversized_record_fails_alone_while_the_rest_of_the_batch_is_delivered()
    {
        using var fixture = new BrokerFixture();
        var topic = TopicNames.Inbox("37");
        fixture.Broker.CreateTopic(topic, 1);
        using var producer = new EnvelopeProducer(fixture.Options());

        var records = new List<OutgoingRecord>
        {
            Record(topic, "k", "before"),
            new(topic, "k", new byte[2 * 1024 * 1024]), // over message.max.bytes
            Record(topic, "k", "after"),
        };
        var results = await producer.PublishBatchAsync(records, CancellationToken.None);

        Assert.True(results[0].Succeeded, results[0].Error);
        Assert.False(results[1].Succeeded);
        Assert.Contains("MsgSizeTooLarge", results[1].Error);
        Assert.True(results[2].Succeeded, results[2].Error);
        Assert.Equal(results[0].Position!.Offset.Value + 1, results[2].Position!.Offset.Value);
    }

    [Fact]
    public async Task Injected_produce_errors_are_retried_without_duplicates()
    {
        using var fixture = new BrokerFixture();
        var topic = TopicNames.Inbox("50");
        fixture.Broker.CreateTopic(topic, 1);
        using var producer = new EnvelopeProducer(fixture.Options());
        await producer.PublishBatchAsync([Record(topic, "warm", "-1")], CancellationToken.None);

        fixture.Broker.PushRequestErrors(KafkaApi.Produce,
            ErrorCode.NotLeaderForPartition, ErrorCode.RequestTimedOut, ErrorCode.NotEnoughReplicas);
        var results = await producer.PublishBatchAsync(
            Enumerable.Range(0, 50).Select(i => Record(topic, "k", $"{i}")).ToList(), CancellationToken.None);
        Assert.All(results, r => Assert.True(r.Succeeded, r.Error));

        using var consumer = new InboxConsumer(fixture.Options(), UniqueGroup());
        consumer.Subscribe(topic);
        var values = Drain(consumer, 51, TimeSpan.FromSeconds(20)).Select(Text).Where(v => v != "-1").ToList();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i.ToString()), values);
    }

    [Fact]
    public async Task Empty_batch_returns_no_results()
    {
        using var fixture = new BrokerFixture();
        using var producer = new EnvelopeProducer(fixture.Options());
        Assert.Empty(await producer.PublishBatchAsync([], CancellationToken.None));
    }
}
