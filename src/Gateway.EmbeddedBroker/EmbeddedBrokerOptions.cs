namespace Gateway.EmbeddedBroker;

/// <summary>A topic to create when the broker starts.</summary>
public sealed record TopicSpec(string Name, int Partitions, int ReplicationFactor = 1)
{
    /// <summary>Parses <c>name:partitions[:replication]</c>, the form the executable takes on its command line.</summary>
    public static TopicSpec Parse(string text)
    {
        var parts = text.Split(':');
        if (parts.Length is < 2 or > 3 || parts[0].Length == 0
            || !int.TryParse(parts[1], out var partitions) || partitions < 1)
            throw new FormatException($"topic '{text}' is not name:partitions[:replication]");
        var replication = 1;
        if (parts.Length == 3 && (!int.TryParse(parts[2], out replication) || replication < 1))
            throw new FormatException($"topic '{text}' has a bad replication factor");
        return new TopicSpec(parts[0], partitions, replication);
    }

    public override string ToString() => $"{Name}:{Partitions}:{ReplicationFactor}";
}

public sealed class EmbeddedBrokerOptions
{
    /// <summary>Brokers in the mock cluster; ids run 1..BrokerCount. One is enough unless a test moves leaders.</summary>
    public int BrokerCount { get; init; } = 1;

    /// <summary>The mock waits 3 s before the first join of a group by default; tests want it short.</summary>
    public TimeSpan GroupInitialRebalanceDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    public IReadOnlyList<TopicSpec> Topics { get; init; } = [];
}
