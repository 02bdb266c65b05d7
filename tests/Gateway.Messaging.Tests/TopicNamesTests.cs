using Gateway.Messaging;

namespace Gateway.Messaging.Tests;

public sealed class TopicNamesTests
{
    [Fact]
    public void Inbox_and_dead_letter_topics_are_named_by_two_digit_province()
    {
        Assert.Equal("gateway.inbox.51", TopicNames.Inbox("51"));
        Assert.Equal("gateway.inbox.01", TopicNames.Inbox(1));
        Assert.Equal("gateway.deadletter.44", TopicNames.DeadLetter("44"));
        Assert.Equal("gateway.deadletter.65", TopicNames.DeadLetter(65));
    }

    [Theory]
    [InlineData("5")]
    [InlineData("510")]
    [InlineData("5a")]
    [InlineData("00")]
    [InlineData("")]
    public void Province_that_is_not_two_digits_is_refused(string province)
    {
        Assert.Throws<ArgumentException>(() => TopicNames.Inbox(province));
        Assert.Throws<ArgumentException>(() => TopicNames.DeadLetter(province));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    public void Numeric_province_out_of_range_is_refused(int province) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TopicNames.Inbox(province));

    [Theory]
    [InlineData("gateway.inbox.31", true, "31")]
    [InlineData("gateway.deadletter.31", false, "")]
    [InlineData("gateway.inbox.3", false, "")]
    [InlineData("other.inbox.31", false, "")]
    public void Inbox_topic_names_parse_back_to_their_province(string topic, bool isInbox, string province)
    {
        Assert.Equal(isInbox, TopicNames.TryParseInbox(topic, out var parsed));
        Assert.Equal(province, parsed);
    }
}
