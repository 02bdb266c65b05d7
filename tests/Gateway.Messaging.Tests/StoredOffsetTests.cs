using Gateway.Messaging;
using static Gateway.Messaging.Tests.BrokerFixture;

namespace Gateway.Messaging.Tests;

public sealed class StoredOffsetTests
{
    [Fact]
    public async Task Stored_offsets_are_committed_in_the_background_and_unstored_records_are_read_again()
    {
        using var fixture = new BrokerFixture();
        var topic = TopicNames.Inbox("15");
        fixture.Broker.CreateTopic(topic, 1);
        var group = UniqueGroup();
        using (var producer = new EnvelopeProducer(fixture.Options()))
            await producer.PublishBatchAsync(Enumerable.Range(0, 10).Select(i => Record(topic, "k", $"{i}")).ToList(), CancellationToken.None);

        using (var first = new InboxConsumer(fixture.Options(), group))
        {
            first.Subscribe(topic);
            var read = Drain(first, 10, TimeSpan.FromSeconds(20));
            first.StoreOffsets(read.Take(6)); // only the first six are durable at the caller
            // No explicit commit: the background commit (every 200 ms here) carries the stored offset.
            fixture.Broker.StartRequestTracking();
            var until = DateTime.UtcNow.AddSeconds(10);
            while (!fixture.Broker.TrackedRequests().Any(r => r.Api == KafkaApi.OffsetCommit) && DateTime.UtcNow < until)
                first.ConsumeBatch(10, TimeSpan.FromMilliseconds(100), CancellationToken.None);
            Assert.Contains(fixture.Broker.TrackedRequests(), r => r.Api == KafkaApi.OffsetCommit);
        }

        using var second = new InboxConsumer(fixture.Options(), group);
        second.Subscribe(topic);
        var again = Drain(second, 4, TimeSpan.FromSeconds(20));
        Assert.Equal(["6", "7", "8", "9"], again.Select(Text));
    }
}
