namespace Gateway.EmbeddedBroker;

/// <summary>
/// The line protocol of the broker executable: one command per stdin line, one answer per line
/// (<c>ok</c> or <c>error &lt;message&gt;</c>). Shared by the executable and its client so both agree.
/// </summary>
public static class BrokerCommands
{
    public const string BootstrapPrefix = "BOOTSTRAP_SERVERS=";
    public const string Ok = "ok";
    public const string ErrorPrefix = "error ";
    public const string Quit = "quit";

    public static string Down(int brokerId) => $"down {brokerId}";
    public static string Up(int brokerId) => $"up {brokerId}";
    public static string Rtt(int brokerId, TimeSpan rtt) => $"rtt {brokerId} {(long)rtt.TotalMilliseconds}";
    public static string Errors(KafkaApi api, IEnumerable<Confluent.Kafka.ErrorCode> errors) =>
        $"errors {api} {string.Join(' ', errors)}";
    public static string ClearErrors(KafkaApi api) => $"clear-errors {api}";
    public static string Leader(string topic, int partition, int brokerId) => $"leader {topic} {partition} {brokerId}";
    public static string Topic(string name, int partitions, int replicationFactor = 1) => $"topic {name} {partitions} {replicationFactor}";
    public static string RebalanceDelay(TimeSpan delay) => $"rebalance-delay {(long)delay.TotalMilliseconds}";

    /// <summary>Runs one command line against the broker and returns the answer line. Never throws for bad input.</summary>
    public static string Execute(EmbeddedKafkaBroker broker, string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0) return ErrorPrefix + "empty command";
        try
        {
            switch (words[0].ToLowerInvariant())
            {
                case "down":
                    Expect(words, 2);
                    broker.SetBrokerDown(Int(words[1]));
                    break;
                case "up":
                    Expect(words, 2);
                    broker.SetBrokerUp(Int(words[1]));
                    break;
                case "rtt":
                    Expect(words, 3);
                    broker.SetRoundTripTime(Int(words[1]), TimeSpan.FromMilliseconds(Int(words[2])));
                    break;
                case "errors":
                    if (words.Length < 3) throw new FormatException("usage: errors <api> <error>...");
                    broker.PushRequestErrors(Api(words[1]), words.Skip(2).Select(ErrorCodeNames.Parse).ToArray());
                    break;
                case "clear-errors":
                    Expect(words, 2);
                    broker.ClearRequestErrors(Api(words[1]));
                    break;
                case "leader":
                    Expect(words, 4);
                    broker.SetPartitionLeader(words[1], Int(words[2]), Int(words[3]));
                    break;
                case "topic":
                    if (words.Length is not (3 or 4)) throw new FormatException("usage: topic <name> <partitions> [replication]");
                    broker.CreateTopic(words[1], Int(words[2]), words.Length == 4 ? Int(words[3]) : 1);
                    break;
                case "rebalance-delay":
                    Expect(words, 2);
                    broker.SetGroupInitialRebalanceDelay(TimeSpan.FromMilliseconds(Int(words[1])));
                    break;
                default:
                    return ErrorPrefix + $"unknown command '{words[0]}'";
            }
            return Ok;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or EmbeddedBrokerException or ObjectDisposedException)
        {
            // One line per answer: the client reads answers line by line.
            return ErrorPrefix + ex.Message.ReplaceLineEndings(" ");
        }
    }

    private static void Expect(string[] words, int count)
    {
        if (words.Length != count) throw new FormatException($"'{words[0]}' takes {count - 1} argument(s)");
    }

    private static int Int(string text) =>
        int.TryParse(text, out var value) ? value : throw new FormatException($"'{text}' is not a number");

    private static KafkaApi Api(string text)
    {
        if (short.TryParse(text, out var key)) return (KafkaApi)key;
        return Enum.TryParse<KafkaApi>(text, ignoreCase: true, out var api) && Enum.IsDefined(api)
            ? api
            : throw new FormatException($"unknown Kafka API '{text}'");
    }
}
