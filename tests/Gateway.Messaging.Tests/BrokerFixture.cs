using System.Text;
using Gateway.Messaging;

namespace Gateway.Messaging.Tests;

/// <summary>A private in-process broker per test, with helpers to publish and drain through the real primitives.</summary>
internal sealed class BrokerFixture : IDisposable
{
    public BrokerFixture(int brokerCount = 1) =>
        Broker = EmbeddedKafkaBroker.Start(new EmbeddedBrokerOptions { BrokerCount = brokerCount });

    public EmbeddedKafkaBroker Broker { get; }

    public KafkaOptions Options(Action<KafkaOptions>? tune = null)
    {
        var options = KafkaOptions.ForEmbeddedBroker(Broker.BootstrapServers, "messaging-tests");
        tune?.Invoke(options);
        return options;
    }

    public static string UniqueGroup() => $"group-{Guid.NewGuid():N}";

    public static OutgoingRecord Record(string topic, string key, string value, IReadOnlyDictionary<string, string>? headers = null) =>
        new(topic, key, Encoding.UTF8.GetBytes(value), headers);

    public static string Text(ConsumeResult<string, byte[]> result) => Encoding.UTF8.GetString(result.Message.Value);

    /// <summary>Drains batches until <paramref name="expected"/> arrived or the deadline passed, then listens briefly for extras.</summary>
    public static List<ConsumeResult<string, byte[]>> Drain(InboxConsumer consumer, int expected, TimeSpan timeout, int batchSize = 100)
    {
        var all = new List<ConsumeResult<string, byte[]>>();
        var deadline = DateTime.UtcNow + timeout;
        while (all.Count < expected && DateTime.UtcNow < deadline)
            all.AddRange(consumer.ConsumeBatch(batchSize, TimeSpan.FromMilliseconds(200), CancellationToken.None));
        all.AddRange(consumer.ConsumeBatch(batchSize, TimeSpan.FromMilliseconds(300), CancellationToken.None));
        return all;
    }

    public void Dispose() => Broker.Dispose();
}
