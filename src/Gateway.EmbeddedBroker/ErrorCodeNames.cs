using Confluent.Kafka;

namespace Gateway.EmbeddedBroker;

/// <summary>
/// Reads error names in either spelling: Confluent's (NotLeaderForPartition, Local_Transport) or
/// Kafka's (NOT_LEADER_FOR_PARTITION), or a plain number.
/// </summary>
public static class ErrorCodeNames
{
    private static readonly Dictionary<string, ErrorCode> ByName = Enum.GetValues<ErrorCode>()
        .Select(code => (Key: Normalize(code.ToString()), Code: code))
        .Where(p => !int.TryParse(p.Key, out _))
        .GroupBy(p => p.Key)
        .ToDictionary(g => g.Key, g => g.First().Code);

    public static bool TryParse(string text, out ErrorCode code)
    {
        if (int.TryParse(text, out var number))
        {
            code = (ErrorCode)number;
            return true;
        }
        return ByName.TryGetValue(Normalize(text), out code);
    }

    public static ErrorCode Parse(string text) =>
        TryParse(text, out var code) ? code : throw new FormatException($"unknown Kafka error '{text}'");

    private static string Normalize(string name) =>
        name.Replace("_", "", StringComparison.Ordinal).ToUpperInvariant();
}
