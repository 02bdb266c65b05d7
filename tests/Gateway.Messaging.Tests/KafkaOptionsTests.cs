using Gateway.Messaging;

namespace Gateway.Messaging.Tests;

public sealed class KafkaOptionsTests
{
    [Fact]
    public void Producer_is_idempotent_with_all_acks_and_a_bounded_delivery_timeout()
    {
        var config = new KafkaOptions { BootstrapServers = "kafka:9093", DeliveryTimeoutMs = 12_000 }.CreateProducerConfig();
        Assert.True(config.EnableIdempotence);
        Assert.Equal(Acks.All, config.Acks);
        Assert.Equal(12_000, config.MessageTimeoutMs);
        Assert.Equal("kafka:9093", config.BootstrapServers);
    }

    [Fact]
    public void Consumer_never_stores_offsets_by_itself_and_commits_only_stored_ones_in_the_background()
    {
        var config = new KafkaOptions { BootstrapServers = "kafka:9093" }.CreateConsumerConfig("node-51");
        Assert.Equal("node-51", config.GroupId);
        Assert.True(config.EnableAutoCommit);
        Assert.False(config.EnableAutoOffsetStore);
        Assert.Equal(1000, config.AutoCommitIntervalMs);
        Assert.Equal(AutoOffsetReset.Earliest, config.AutoOffsetReset);
        Assert.Equal(100, config.FetchWaitMaxMs); // a real broker answers an idle fetch as soon as data arrives
    }

    [Fact]
    public void Embedded_profile_shortens_fetch_wait_and_keeps_one_produce_request_in_flight()
    {
        var options = KafkaOptions.ForEmbeddedBroker("127.0.0.1:1");
        Assert.InRange(options.CreateConsumerConfig("g").FetchWaitMaxMs ?? int.MaxValue, 1, 10);
        Assert.Equal(1, options.CreateProducerConfig().MaxInFlight);
        Assert.Null(new KafkaOptions { BootstrapServers = "kafka:9093" }.CreateProducerConfig().MaxInFlight);
    }

    [Fact]
    public void Extra_settings_carry_security_and_override_defaults()
    {
        var options = new KafkaOptions
        {
            BootstrapServers = "kafka:9093",
            Settings = { ["security.protocol"] = "SASL_SSL", ["sasl.mechanism"] = "SCRAM-SHA-512", ["acks"] = "1" },
        };
        var producer = options.CreateProducerConfig().ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("SASL_SSL", producer["security.protocol"]);
        Assert.Equal("SCRAM-SHA-512", producer["sasl.mechanism"]);
        Assert.Equal("1", producer["acks"]);
        Assert.Contains(options.CreateConsumerConfig("g"), kv => kv is { Key: "security.protocol", Value: "SASL_SSL" });
    }

    [Fact]
    public void Missing_bootstrap_servers_is_refused() =>
        Assert.Throws<InvalidOperationException>(() => new KafkaOptions().CreateProducerConfig());
}
