using Confluent.Kafka;

namespace Gateway.EmbeddedBroker.Tests;

public sealed class CommandParsingTests
{
    [Theory]
    [InlineData("NOT_LEADER_FOR_PARTITION", ErrorCode.NotLeaderForPartition)]
    [InlineData("NotLeaderForPartition", ErrorCode.NotLeaderForPartition)]
    [InlineData("Local_Transport", ErrorCode.Local_Transport)]
    [InlineData("7", ErrorCode.RequestTimedOut)]
    public void Error_names_parse_in_kafka_and_confluent_spelling(string text, ErrorCode expected) =>
        Assert.Equal(expected, ErrorCodeNames.Parse(text));

    [Fact]
    public void Unknown_error_name_is_refused() =>
        Assert.Throws<FormatException>(() => ErrorCodeNames.Parse("NOT_A_KAFKA_ERROR"));

    [Theory]
    [InlineData("orders:3", "orders", 3, 1)]
    [InlineData("gateway.inbox.51:8:3", "gateway.inbox.51", 8, 3)]
    public void Topic_spec_parses_name_partitions_and_replication(string text, string name, int partitions, int replication) =>
        Assert.Equal(new TopicSpec(name, partitions, replication), TopicSpec.Parse(text));

    [Theory]
    [InlineData("orders")]
    [InlineData("orders:0")]
    [InlineData(":3")]
    [InlineData("orders:3:x")]
    public void Malformed_topic_spec_is_refused(string text) =>
        Assert.Throws<FormatException>(() => TopicSpec.Parse(text));

    [Fact]
    public void Commands_answer_ok_or_one_error_line()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        Assert.Equal("ok", BrokerCommands.Execute(broker, "errors Produce NOT_LEADER_FOR_PARTITION Local_Transport"));
        Assert.Equal("ok", BrokerCommands.Execute(broker, "clear-errors 0"));
        Assert.Equal("ok", BrokerCommands.Execute(broker, "leader some.topic 0 1"));
        Assert.StartsWith("error unknown Kafka API", BrokerCommands.Execute(broker, "errors Nonsense NOT_LEADER_FOR_PARTITION"));
        Assert.StartsWith("error unknown command", BrokerCommands.Execute(broker, "explode"));
        Assert.StartsWith("error ", BrokerCommands.Execute(broker, "down two"));
        Assert.DoesNotContain('\n', BrokerCommands.Execute(broker, "rtt 9 5"));
    }
}
