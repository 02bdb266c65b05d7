using Confluent.Kafka;

namespace Gateway.EmbeddedBroker.Tests;

/// <summary>Plain Confluent.Kafka clients tuned for the mock, so the tests exercise the broker and nothing else.</summary>
internal static class KafkaClients
{
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public static IProducer<string, string> IdempotentProducer(string bootstrap, Action<ProducerConfig>? tune = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrap,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 2,
            SocketNagleDisable = true,
            ReconnectBackoffMs = 20,
            ReconnectBackoffMaxMs = 500,
            RetryBackoffMs = 20,
        };
        tune?.Invoke(config);
        return new ProducerBuilder<string, string>(config).SetLogHandler((_, _) => { }).Build();
    }

    public static IConsumer<string, string> Consumer(string bootstrap, string group) =>
        new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            FetchWaitMaxMs = 5,
            SocketNagleDisable = true,
        }).SetLogHandler((_, _) => { }).Build();

    /// <summary>
    /// Reads until <paramref name="expected"/> records arrived (or the deadline), then keeps listening a little
    /// longer so that duplicates, if any, show up too.
    /// </summary>
    public static List<ConsumeResult<string, string>> ConsumeAll(
        IConsumer<string, string> consumer, int expected, TimeSpan timeout, TimeSpan? linger = null)
    {
        var results = new List<ConsumeResult<string, string>>();
        var deadline = DateTime.UtcNow + timeout;
        while (results.Count < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } r) results.Add(r);
        }
        var lingerUntil = DateTime.UtcNow + (linger ?? TimeSpan.FromMilliseconds(300));
        while (DateTime.UtcNow < lingerUntil)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(50)) is { IsPartitionEOF: false } r) results.Add(r);
        }
        return results;
    }
}
