using System.Text;
using Confluent.Kafka;
using Gateway.Messaging;

namespace Gateway.Harness.Tests;

/// <summary>What a test does to the broker behind the nodes' backs: inject records, read topics, move a group's offsets.</summary>
public sealed class KafkaProbe(string bootstrapServers)
{
    private KafkaOptions Options => KafkaOptions.ForEmbeddedBroker(bootstrapServers, "fault-tests");

    public async Task ProduceAsync(string topic, string? key, byte[] value)
    {
        using var producer = new ProducerBuilder<string?, byte[]>(Options.CreateProducerConfig()).Build();
        var result = await producer.ProduceAsync(topic, new Message<string?, byte[]> { Key = key, Value = value });
        Assert.Equal(PersistenceStatus.Persisted, result.Status);
    }

    /// <summary>Reads a single-partition topic from its beginning without joining any group, until a record matches.</summary>
    public ConsumeResult<string, byte[]> ReadUntil(string topic, Func<ConsumeResult<string, byte[]>, bool> match, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(Options.CreateConsumerConfig($"fault-tests-{Guid.NewGuid():N}")).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (record is { IsPartitionEOF: false } && match(record)) return record;
        }
        throw new TimeoutException($"No matching record on {topic} within {timeout.TotalSeconds:0} s.");
    }

    /// <summary>
    /// Joins <paramref name="groupId"/> while its real member is away, reads until a record with
    /// message-id header <paramref name="messageId"/> shows up, then commits every partition at its end:
    /// when the member comes back, it never sees what was in the topic at that moment.
    /// </summary>
    public void SkipEverythingUpTo(string groupId, string topic, string messageId, int partitions, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(Options.CreateConsumerConfig(groupId)).Build();
        consumer.Subscribe(topic);
        var until = DateTime.UtcNow + timeout;
        var seen = false;
        while (!seen || consumer.Assignment.Count < partitions)
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Group {groupId}: saw {messageId}: {seen}, owned {consumer.Assignment.Count} of {partitions} partitions.");
            var record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (record is { IsPartitionEOF: false } && Header(record, "message-id") == messageId) seen = true;
        }
        var ends = consumer.Assignment
            .Select(tp => new TopicPartitionOffset(tp, consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(5)).High))
            .ToList();
        consumer.Commit(ends);
        consumer.Close();
    }

    public static string? Header(ConsumeResult<string, byte[]> record, string name) =>
        record.Message.Headers?.TryGetLastBytes(name, out var bytes) == true ? Encoding.UTF8.GetString(bytes) : null;
}
