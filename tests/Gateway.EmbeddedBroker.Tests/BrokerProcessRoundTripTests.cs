using System.Collections.Concurrent;
using Confluent.Kafka;
using static Gateway.EmbeddedBroker.Tests.KafkaClients;

namespace Gateway.EmbeddedBroker.Tests;

public sealed class BrokerProcessRoundTripTests
{
    [Fact]
    public async Task Broker_process_delivers_every_keyed_message_exactly_once_and_in_order_per_key()
    {
        const int count = 2000, keys = 37;
        var topic = Unique("roundtrip");
        await using var broker = await EmbeddedBrokerProcess.StartAsync(new EmbeddedBrokerOptions { Topics = [new TopicSpec(topic, 4)] });
        Assert.StartsWith("127.0.0.1:", broker.BootstrapServers);

        var failures = new ConcurrentBag<Error>();
        using (var producer = IdempotentProducer(broker.BootstrapServers))
        {
            for (var i = 0; i < count; i++)
            {
                var key = $"k{i % keys}";
                producer.Produce(topic, new Message<string, string> { Key = key, Value = $"{i}|{i / keys}" },
                    report => { if (report.Error.IsError) failures.Add(report.Error); });
            }
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(20)));
        }
        Assert.Empty(failures);

        using var consumer = Consumer(broker.BootstrapServers, Unique("group"));
        consumer.Subscribe(topic);
        var received = ConsumeAll(consumer, count, TimeSpan.FromSeconds(30));

        var ids = received.Select(r => int.Parse(r.Message.Value.Split('|')[0])).ToList();
        Assert.Equal(count, ids.Count);
        Assert.Equal(Enumerable.Range(0, count), ids.Order());
        foreach (var perKey in received.GroupBy(r => r.Message.Key))
        {
            var sequence = perKey.Select(r => int.Parse(r.Message.Value.Split('|')[1])).ToList();
            Assert.Equal(Enumerable.Range(0, sequence.Count), sequence);
            Assert.Single(perKey.Select(r => r.Partition.Value).Distinct()); // one key, one partition
        }
        Assert.Equal(4, received.Select(r => r.Partition.Value).Distinct().Count());
    }

    [Fact]
    public async Task Broker_process_injected_non_retriable_produce_error_fails_exactly_one_delivery()
    {
        var topic = Unique("inject");
        await using var broker = await EmbeddedBrokerProcess.StartAsync(new EmbeddedBrokerOptions { Topics = [new TopicSpec(topic, 1)] });
        using var producer = IdempotentProducer(broker.BootstrapServers, c =>
        {
            c.EnableIdempotence = false;
            c.MessageSendMaxRetries = 0;
        });
        // Warm up so the error hits the produce request, not metadata discovery.
        await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "warm" });

        await broker.PushRequestErrorsAsync(KafkaApi.Produce, ErrorCode.TopicAuthorizationFailed);
        var failed = await Assert.ThrowsAsync<ProduceException<string, string>>(
            () => producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "hit" }));
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, failed.Error.Code);

        // The error stack is used up: the next produce goes through (a fresh client: the first one
        // remembers the authorization failure for that topic).
        using var another = IdempotentProducer(broker.BootstrapServers);
        var ok = await another.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "after" });
        Assert.Equal(PersistenceStatus.Persisted, ok.Status);
    }

    [Fact]
    public async Task Broker_process_answers_bad_commands_with_errors_and_keeps_serving()
    {
        await using var broker = await EmbeddedBrokerProcess.StartAsync();

        var unknownBroker = await Assert.ThrowsAsync<EmbeddedBrokerException>(() => broker.SetBrokerDownAsync(7));
        Assert.Contains("broker ids run 1..1", unknownBroker.Message);

        // Still serving after an error: a valid command succeeds and so does a later bad one.
        await broker.SetRoundTripTimeAsync(1, TimeSpan.FromMilliseconds(3));
        await broker.CreateTopicAsync(Unique("later"), 2);
        await Assert.ThrowsAsync<EmbeddedBrokerException>(() => broker.CreateTopicAsync("bad", 0));
        await broker.ClearRequestErrorsAsync(KafkaApi.Produce);
    }
}
