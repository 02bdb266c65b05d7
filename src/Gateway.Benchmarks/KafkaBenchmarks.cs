using System.Diagnostics;
using Confluent.Kafka;
using Gateway.EmbeddedBroker;
using Gateway.Messaging;

namespace Gateway.Benchmarks;

public sealed record KafkaRoundTripResult(int Messages, LatencySummary Latency);

public sealed record KafkaThroughputResult(int Messages, int MessageBytes, int Partitions, TimeSpan ProduceElapsed, TimeSpan EndToEndElapsed, int Errors)
{
    public double ProducedPerSecond => ProduceElapsed > TimeSpan.Zero ? Messages / ProduceElapsed.TotalSeconds : 0;
    public double ConsumedPerSecond => EndToEndElapsed > TimeSpan.Zero ? Messages / EndToEndElapsed.TotalSeconds : 0;
}

/// <summary>
/// The Kafka baseline: plain Confluent.Kafka on the same embedded broker, with the same client settings
/// the gateway uses (idempotent producer, acks=all, linger 1 ms; fetch.wait.max.ms 5), but no database,
/// no envelope bookkeeping and no receipts.
/// </summary>
public sealed class KafkaBenchmarks(EmbeddedKafkaBroker broker)
{
    // The mock keeps about 5 MiB per partition and silently drops older records: stay well below.
    private const long RetentionBudgetPerPartition = 3L * 1024 * 1024;
    private static readonly TimeSpan ReceiveTimeout = TimeSpan.FromSeconds(30);

    private KafkaOptions Options => KafkaOptions.ForEmbeddedBroker(broker.BootstrapServers, "gateway-benchmark");

    public static int CapForRetention(int messages, int messageBytes, int partitions) =>
        (int)Math.Min(messages, RetentionBudgetPerPartition * partitions / Math.Max(messageBytes, 1));

    /// <summary>One message at a time: produce, then wait until the consumer has it.</summary>
    public KafkaRoundTripResult RoundTrip(int messages, int messageBytes, CancellationToken ct)
    {
        var topic = $"bench.raw.rtt.{Guid.NewGuid():N}";
        broker.CreateTopic(topic, 1);
        using var producer = new ProducerBuilder<string, byte[]>(Options.CreateProducerConfig()).Build();
        using var consumer = new ConsumerBuilder<string, byte[]>(Options.CreateConsumerConfig($"bench-rtt-{Guid.NewGuid():N}")).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var payload = new byte[messageBytes];

        const int warmup = 20;
        var samples = new List<long>(messages);
        for (var i = 0; i < warmup + messages; i++)
        {
            ct.ThrowIfCancellationRequested();
            var key = i.ToString();
            var start = Stopwatch.GetTimestamp();
            producer.Produce(topic, new Message<string, byte[]> { Key = key, Value = payload });
            Receive(consumer, key);
            if (i >= warmup) samples.Add(Stopwatch.GetTimestamp() - start);
        }
        return new KafkaRoundTripResult(messages, LatencySummary.FromTicks(samples));
    }

    /// <summary>All messages as fast as the producer takes them, consumed concurrently; timed until the last arrives.</summary>
    public async Task<KafkaThroughputResult> ThroughputAsync(int messages, int messageBytes, int partitions, CancellationToken ct)
    {
        var topic = $"bench.raw.tput.{Guid.NewGuid():N}";
        broker.CreateTopic(topic, partitions);
        using var producer = new ProducerBuilder<string, byte[]>(Options.CreateProducerConfig()).Build();
        using var consumer = new ConsumerBuilder<string, byte[]>(Options.CreateConsumerConfig($"bench-tput-{Guid.NewGuid():N}")).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var payload = new byte[messageBytes];
        var errors = 0;

        // Connections, metadata and the first fetch position are set up before the clock starts.
        producer.Produce(topic, new Message<string, byte[]> { Key = "warm-up", Value = payload });
        Receive(consumer, "warm-up");

        var clock = Stopwatch.StartNew();
        var consuming = Task.Factory.StartNew(() =>
        {
            var received = 0;
            var idleSince = Stopwatch.StartNew();
            while (received < messages && idleSince.Elapsed < ReceiveTimeout)
            {
                ct.ThrowIfCancellationRequested();
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is null) continue;
                received++;
                idleSince.Restart();
            }
            if (received < messages) throw new TimeoutException($"Raw Kafka: only {received} of {messages} messages came back.");
            return clock.Elapsed;
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        for (var i = 0; i < messages; i++)
        {
            var message = new Message<string, byte[]> { Key = "k" + (i % 256), Value = payload };
            while (true)
            {
                try
                {
                    producer.Produce(topic, message, report => { if (report.Error.IsError) Interlocked.Increment(ref errors); });
                    break;
                }
                catch (ProduceException<string, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(5));
                }
            }
        }
        producer.Flush(ct);
        var produced = clock.Elapsed;
        var endToEnd = await consuming;
        return new KafkaThroughputResult(messages, messageBytes, partitions, produced, endToEnd, errors);
    }

    private static void Receive(IConsumer<string, byte[]> consumer, string key)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < ReceiveTimeout)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result?.Message.Key == key) return;
        }
        throw new TimeoutException($"Raw Kafka round trip: message {key} did not come back within {ReceiveTimeout}.");
    }
}
