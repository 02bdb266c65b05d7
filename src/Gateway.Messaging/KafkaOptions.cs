using Confluent.Kafka;

namespace Gateway.Messaging;

/// <summary>
/// How a node reaches Kafka. Everything cluster-specific (SASL, TLS, timeouts) goes through
/// <see cref="Settings"/>, so moving from the embedded broker to a real cluster is configuration only.
/// </summary>
public sealed class KafkaOptions
{
    public const string SectionName = "Kafka";

    public string BootstrapServers { get; set; } = "";

    public string ClientId { get; set; } = "gateway-node";

    /// <summary>
    /// Low-latency profile for the librdkafka mock: an idle fetch there waits the whole
    /// fetch.wait.max.ms even when data arrives, so the default 500 ms would add half a second per hop.
    /// </summary>
    public bool EmbeddedBroker { get; set; }

    /// <summary>message.timeout.ms: a record not acknowledged by then fails its delivery report instead of retrying on.</summary>
    public int DeliveryTimeoutMs { get; set; } = 30_000;

    /// <summary>Raw librdkafka settings applied last, so they override everything above.</summary>
    public Dictionary<string, string> Settings { get; set; } = new(StringComparer.Ordinal);

    public static KafkaOptions ForEmbeddedBroker(string bootstrapServers, string clientId = "gateway-node") =>
        new() { BootstrapServers = bootstrapServers, ClientId = clientId, EmbeddedBroker = true };

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(BootstrapServers))
            throw new InvalidOperationException("Kafka:BootstrapServers is required");
        if (DeliveryTimeoutMs <= 0)
            throw new InvalidOperationException("Kafka:DeliveryTimeoutMs must be positive");
    }

    /// <summary>Idempotent producer: the broker drops retried duplicates and keeps per-partition order.</summary>
    public ProducerConfig CreateProducerConfig()
    {
        var settings = Common();
        settings["enable.idempotence"] = "true";
        settings["acks"] = "all";
        settings["message.timeout.ms"] = DeliveryTimeoutMs.ToString();
        // Same key → same partition as the Java client would choose, should other producers join.
        settings["partitioner"] = "murmur2_random";
        settings["linger.ms"] = EmbeddedBroker ? "1" : "5";
        // The mock's duplicate check covers a sequence range, not what it stored: with requests pipelined,
        // a retry can be acknowledged as a duplicate yet never written. One in flight keeps it exact;
        // batches are awaited whole anyway, so throughput here does not suffer.
        if (EmbeddedBroker) settings["max.in.flight"] = "1";
        return new ProducerConfig(Finish(settings));
    }

    /// <summary>
    /// Group consumer that never stores offsets by itself: the caller stores them after its database committed
    /// (<see cref="InboxConsumer.StoreOffsets"/>) or commits them explicitly. Stored offsets are committed in the
    /// background, batched, so the inbox never waits on the broker for a commit.
    /// </summary>
    public ConsumerConfig CreateConsumerConfig(string groupId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        var settings = Common();
        settings["group.id"] = groupId;
        // Background commits of explicitly stored offsets only: nothing counts as processed until the caller says so.
        settings["enable.auto.commit"] = "true";
        settings["auto.commit.interval.ms"] = EmbeddedBroker ? "200" : "1000";
        settings["enable.auto.offset.store"] = "false";
        settings["auto.offset.reset"] = "earliest"; // a new group must not skip envelopes already waiting
        // A real broker answers an idle fetch as soon as data arrives, so a longer wait only saves idle requests.
        settings["fetch.wait.max.ms"] = EmbeddedBroker ? "5" : "100";
        if (EmbeddedBroker)
        {
            // The mock holds every rebalance round open for session.timeout.ms - 1 s, even when the
            // last member left cleanly, so a restarted node waits that long for its partitions.
            settings["session.timeout.ms"] = "4000";
            settings["heartbeat.interval.ms"] = "500";
        }
        return new ConsumerConfig(Finish(settings));
    }

    private Dictionary<string, string> Common()
    {
        Validate();
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["bootstrap.servers"] = BootstrapServers,
            ["client.id"] = ClientId,
            ["socket.nagle.disable"] = "true",
        };
        if (EmbeddedBroker)
        {
            // The mock restarts in milliseconds; reconnect and retry quickly.
            settings["reconnect.backoff.ms"] = "20";
            settings["reconnect.backoff.max.ms"] = "1000";
            settings["retry.backoff.ms"] = "20";
        }
        return settings;
    }

    /// <summary>
    /// One line for the start-up log: the broker, its security protocol and mechanism, which TLS files are set. Never a
    /// password or key; the embedded broker says it is plaintext on loopback.
    /// </summary>
    public string Describe()
    {
        string Get(string key) => Settings.TryGetValue(key, out var v) && v.Length > 0 ? v : "";
        if (EmbeddedBroker)
            return $"Kafka: embedded broker at {BootstrapServers}, PLAINTEXT on loopback (no TLS, no SASL: development and tests only)";
        var protocol = Get("security.protocol") is { Length: > 0 } p ? p.ToUpperInvariant() : "PLAINTEXT";
        var parts = new List<string> { $"Kafka: {BootstrapServers}", $"security.protocol={protocol}" };
        if (Get("sasl.mechanisms") is { Length: > 0 } m) parts.Add($"sasl.mechanisms={m}");
        else if (Get("sasl.mechanism") is { Length: > 0 } m1) parts.Add($"sasl.mechanisms={m1}");
        if (Get("sasl.username") is { Length: > 0 } user) parts.Add($"sasl.username={user}");
        var files = new[] { "ssl.ca.location", "ssl.certificate.location", "ssl.key.location" }.Where(k => Get(k).Length > 0).ToList();
        if (files.Count > 0) parts.Add("set: " + string.Join(", ", files));
        if (protocol == "PLAINTEXT") parts.Add("NOT encrypted: set Kafka:Settings:security.protocol=SASL_SSL (docs/security.md)");
        return string.Join("; ", parts);
    }

    private Dictionary<string, string> Finish(Dictionary<string, string> settings)
    {
        foreach (var (key, value) in Settings) settings[key] = value;
        return settings;
    }
}
