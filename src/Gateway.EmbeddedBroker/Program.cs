using System.Runtime.InteropServices;

namespace Gateway.EmbeddedBroker;

/// <summary>
/// The broker as its own process: start, print the bootstrap line, then obey fault commands on stdin
/// until <c>quit</c>, end of input, SIGINT or SIGTERM.
/// </summary>
internal static class BrokerProgram
{
    private const string Usage =
        "usage: Gateway.EmbeddedBroker [--brokers N] [--topic name:partitions[:replication]]... " +
        "[--rebalance-delay-ms N] [--bootstrap-file PATH]";

    public static async Task<int> Main(string[] args)
    {
        BrokerArguments parsed;
        try
        {
            parsed = BrokerArguments.Parse(args);
        }
        catch (FormatException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message + Environment.NewLine + Usage);
            return 2;
        }
        if (parsed.ShowHelp)
        {
            Console.WriteLine(Usage);
            return 0;
        }

        using var broker = EmbeddedKafkaBroker.Start(parsed.Options);
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        var line = BrokerCommands.BootstrapPrefix + broker.BootstrapServers;
        if (parsed.BootstrapFile is { } file) WriteAtomically(file, line + Environment.NewLine);
        Console.Out.WriteLine(line);
        Console.Out.Flush();

        // A blocked stdin read cannot be cancelled; a signal simply stops waiting for it.
        var commands = Task.Run(() => ServeCommands(broker));
        await Task.WhenAny(commands, stop.Task);
        return 0;

        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // we shut down ourselves, cleanly
            stop.TrySetResult();
        }
    }

    private static void ServeCommands(EmbeddedKafkaBroker broker)
    {
        while (Console.In.ReadLine() is { } line)
        {
            if (line.Trim().Equals(BrokerCommands.Quit, StringComparison.OrdinalIgnoreCase))
            {
                Console.Out.WriteLine(BrokerCommands.Ok);
                Console.Out.Flush();
                return;
            }
            Console.Out.WriteLine(BrokerCommands.Execute(broker, line));
            Console.Out.Flush();
        }
    }

    private static void WriteAtomically(string path, string content)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        File.WriteAllText(temp, content);
        File.Move(temp, full, overwrite: true);
    }
}

internal sealed record BrokerArguments(EmbeddedBrokerOptions Options, string? BootstrapFile, bool ShowHelp)
{
    public static BrokerArguments Parse(IReadOnlyList<string> args)
    {
        var brokers = 1;
        var delay = new EmbeddedBrokerOptions().GroupInitialRebalanceDelay;
        var topics = new List<TopicSpec>();
        string? file = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--brokers":
                    brokers = PositiveInt(Value(args, ref i), "--brokers");
                    break;
                case "--topic":
                    topics.Add(TopicSpec.Parse(Value(args, ref i)));
                    break;
                case "--rebalance-delay-ms":
                    delay = TimeSpan.FromMilliseconds(PositiveInt(Value(args, ref i), "--rebalance-delay-ms", allowZero: true));
                    break;
                case "--bootstrap-file":
                    file = Value(args, ref i);
                    break;
                case "-h" or "--help":
                    return new BrokerArguments(new EmbeddedBrokerOptions(), null, true);
                default:
                    throw new FormatException($"unknown argument '{args[i]}'");
            }
        }
        var options = new EmbeddedBrokerOptions { BrokerCount = brokers, GroupInitialRebalanceDelay = delay, Topics = topics };
        return new BrokerArguments(options, file, false);
    }

    private static string Value(IReadOnlyList<string> args, ref int i) =>
        ++i < args.Count ? args[i] : throw new FormatException($"{args[i - 1]} needs a value");

    private static int PositiveInt(string text, string name, bool allowZero = false) =>
        int.TryParse(text, out var n) && (n > 0 || (allowZero && n == 0)) ? n : throw new FormatException($"{name} needs a positive number");
}
