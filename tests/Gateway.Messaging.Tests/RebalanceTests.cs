using Gateway.Messaging;
using static Gateway.Messaging.Tests.BrokerFixture;

namespace Gateway.Messaging.Tests;

public sealed class RebalanceTests
{
    [Fact]
    public async Task Partition_taken_by_a_new_member_is_reread_there_and_never_committed_by_the_old_owner()
    {
        using var fixture = new BrokerFixture();
        var topic = TopicNames.Inbox("15");
        fixture.Broker.CreateTopic(topic, 2);
        var group = UniqueGroup();
        using (var producer = new EnvelopeProducer(fixture.Options()))
        {
            var sent = await producer.PublishBatchAsync(
                Enumerable.Range(0, 30).Select(i => Record(topic, $"k{i}", $"{i}")).ToList(), CancellationToken.None);
            Assert.Equal(2, sent.Select(r => r.Position!.Partition.Value).Distinct().Count());
        }

        using var first = new InboxConsumer(fixture.Options(), group);
        first.Subscribe(topic);
        var readByFirst = Drain(first, 30, TimeSpan.FromSeconds(20));
        Assert.Equal(30, readByFirst.Count);
        Assert.Equal(2, first.Assignment.Count);

        // A second member joins; both must keep polling for the group to rebalance.
        using var second = new InboxConsumer(fixture.Options(), group);
        second.Subscribe(topic);
        var rereadBySecond = new List<ConsumeResult<string, byte[]>>();
        var deadline = DateTime.UtcNow.AddSeconds(40);
        using var settled = new CancellationTokenSource();
        var firstPolls = Task.Run(() =>
        {
            // Keeps polling until both sides settled: a rebalance only completes while every member polls.
            while (!settled.IsCancellationRequested && DateTime.UtcNow < deadline)
                first.ConsumeBatch(50, TimeSpan.FromMilliseconds(100), CancellationToken.None);
        });
        while (!(first.Assignment.Count == 1 && HasWholePartition(readByFirst, rereadBySecond, second)) && DateTime.UtcNow < deadline)
            rereadBySecond.AddRange(second.ConsumeBatch(50, TimeSpan.FromMilliseconds(100), CancellationToken.None));
        await settled.CancelAsync();
        await firstPolls;

        var moved = Assert.Single(second.Assignment);
        Assert.DoesNotContain(moved, first.Assignment);
        // Nothing was committed, so the new owner starts that partition from the beginning.
        Assert.Equal(
            readByFirst.Where(r => r.TopicPartition == moved).Select(Text).Order(),
            rereadBySecond.Where(r => r.TopicPartition == moved).Select(Text).Order());

        // The old owner finishing its stale batch commits only what it still owns.
        fixture.Broker.StartRequestTracking();
        first.Commit(readByFirst.Where(r => r.TopicPartition == moved));
        Assert.DoesNotContain(fixture.Broker.TrackedRequests(), r => r.Api == KafkaApi.OffsetCommit);
        first.Commit(readByFirst);
        Assert.Contains(fixture.Broker.TrackedRequests(), r => r.Api == KafkaApi.OffsetCommit);
    }

    private static bool HasWholePartition(
        List<ConsumeResult<string, byte[]>> all, List<ConsumeResult<string, byte[]>> seen, InboxConsumer owner) =>
        owner.Assignment.Count == 1
        && seen.Count(r => r.TopicPartition == owner.Assignment.First()) >= all.Count(r => r.TopicPartition == owner.Assignment.First());
}
