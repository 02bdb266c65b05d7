namespace Gateway.Messaging;

/// <summary>
/// Topic naming: each province consumes one inbox topic and parks poison envelopes in its own
/// dead-letter topic. Provinces are the 2-digit prefix of the division code (GB/T 2260).
/// </summary>
public static class TopicNames
{
    public const string InboxPrefix = "gateway.inbox.";
    public const string DeadLetterPrefix = "gateway.deadletter.";

    public static string Inbox(string province) => InboxPrefix + CheckProvince(province);

    public static string Inbox(int province) => Inbox(Format(province));

    public static string DeadLetter(string province) => DeadLetterPrefix + CheckProvince(province);

    public static string DeadLetter(int province) => DeadLetter(Format(province));

    /// <summary>The province whose inbox this topic is, if it is an inbox topic.</summary>
    public static bool TryParseInbox(string topic, out string province)
    {
        province = "";
        if (topic is null || !topic.StartsWith(InboxPrefix, StringComparison.Ordinal)) return false;
        var rest = topic[InboxPrefix.Length..];
        if (!IsProvince(rest)) return false;
        province = rest;
        return true;
    }

    private static string CheckProvince(string province) =>
        IsProvince(province)
            ? province
            : throw new ArgumentException($"province must be two digits, got '{province}'", nameof(province));

    private static bool IsProvince(string? text) =>
        text is { Length: 2 } && char.IsAsciiDigit(text[0]) && char.IsAsciiDigit(text[1]) && text != "00";

    private static string Format(int province) =>
        province is >= 1 and <= 99
            ? province.ToString("D2")
            : throw new ArgumentOutOfRangeException(nameof(province), province, "province must be 01..99");
}
