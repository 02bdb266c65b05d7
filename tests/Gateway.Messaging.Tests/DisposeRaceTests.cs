using Gateway.Messaging;
using static Gateway.Messaging.Tests.BrokerFixture;

namespace Gateway.Messaging.Tests;

/// <summary>
/// A host that gives up waiting for its background services disposes the Kafka clients while they are still in use.
/// The wrappers must turn that into managed errors: a poll or produce racing the dispose must never reach freed memory.
/// </summary>
public sealed class DisposeRaceTests
{
    [Fact]
    public async Task A_consumer_disposed_under_its_poll_loop_and_a_lag_reader_ends_them_with_object_disposed()
    {
        using var fixture = new BrokerFixture();
        var topic = TopicNames.Inbox("51");
        fixture.Broker.CreateTopic(topic, 2);
        using (var producer = new EnvelopeProducer(fixture.Options()))
        {
            var sent = await producer.PublishBatchAsync(Enumerable.Range(0, 200).Select(i => Record(topic, $"k{i % 7}", $"{i}")).ToList(), CancellationToken.None);
            Assert.All(sent, r => Assert.True(r.Succeeded, r.Error));
        }

        for (var round = 0; round < 4; round++)
        {
            var consumer = new InboxConsumer(fixture.Options(), UniqueGroup());
            consumer.Subscribe(topic);
            var polled = 0;
            var loop = Task.Factory.StartNew(() =>
            {
                while (true)
                {
                    try { Interlocked.Add(ref polled, consumer.ConsumeBatch(10, TimeSpan.FromMilliseconds(50), CancellationToken.None).Count + 1); }
                    catch (ObjectDisposedException) { return; }
                }
            }, TaskCreationOptions.LongRunning);
            using var stopLag = new CancellationTokenSource();
            var lag = Task.Factory.StartNew(() =>
            {
                while (!stopLag.IsCancellationRequested) Assert.True(consumer.Lag() >= 0);
            }, TaskCreationOptions.LongRunning);

            while (Volatile.Read(ref polled) < 5 + round * 20) await Task.Delay(10);
            consumer.Dispose();

            await loop.WaitAsync(TimeSpan.FromSeconds(30)); // ended by ObjectDisposedException, not by a crash
            Assert.Equal(0, consumer.Lag());
            await stopLag.CancelAsync();
            await lag.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Throws<ObjectDisposedException>(() => consumer.ConsumeBatch(1, TimeSpan.FromMilliseconds(10), CancellationToken.None));
        }
    }

    [Fact]
    public async Task A_producer_disposed_under_concurrent_publishers_fails_their_records_with_a_reason()
    {
        using var fixture = new BrokerFixture();
        var topic = TopicNames.Inbox("15");
        fixture.Broker.CreateTopic(topic, 2);
        var producer = new EnvelopeProducer(fixture.Options());
        var acknowledged = 0;
        var refused = new System.Collections.Concurrent.ConcurrentBag<string>();
        var publishers = Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
        {
            for (var i = 0; ; i++)
            {
                IReadOnlyList<PublishResult> results;
                try { results = await producer.PublishBatchAsync(Enumerable.Range(0, 20).Select(j => Record(topic, $"p{p}", $"{i}:{j}")).ToList(), CancellationToken.None); }
                catch (ObjectDisposedException) { return; }
                foreach (var r in results)
                {
                    if (r.Succeeded) Interlocked.Increment(ref acknowledged);
                    else refused.Add(r.Error ?? "");
                }
            }
        })).ToList();

        while (Volatile.Read(ref acknowledged) < 200) await Task.Delay(10);
        producer.Dispose();
        await Task.WhenAll(publishers).WaitAsync(TimeSpan.FromSeconds(60));

        // A record either reached the broker or failed with words an operator can read; none was lost without an answer.
        Assert.All(refused, error => Assert.False(string.IsNullOrWhiteSpace(error)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => producer.PublishBatchAsync([Record(topic, "late", "x")], CancellationToken.None));
    }
}
