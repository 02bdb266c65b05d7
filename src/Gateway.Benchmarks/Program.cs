using System.CommandLine;
using Gateway.Benchmarks;

var quick = new Option<bool>("--quick") { Description = "Small counts and short phases (under a minute): checks that the benchmark works" };
var transfers = new Option<int?>("--transfers") { Description = "Concurrent end-to-end transfers (default 200; 20 with --quick)" };
var duration = new Option<double?>("--duration") { Description = "Seconds of each gRPC scenario (default 5; 1 with --quick)" };
var concurrency = new Option<int?>("--concurrency") { Description = "Concurrent gRPC callers (default 16)" };
var kafkaMessages = new Option<int?>("--kafka-messages") { Description = "Messages in the raw Kafka throughput phase (default 20000; 2000 with --quick)" };
var noRedis = new Option<bool>("--no-redis") { Description = "Nodes use the in-memory idempotency fast path instead of a private redis-server" };

var root = new RootCommand(
    "Gateway benchmarks: bare gRPC vs the node's calls, raw Kafka vs the exchange path, memory per transfer. " +
    "Every figure is printed with its ratio to a baseline measured in the same run.");
root.Options.Add(quick);
root.Options.Add(transfers);
root.Options.Add(duration);
root.Options.Add(concurrency);
root.Options.Add(kafkaMessages);
root.Options.Add(noRedis);
root.Validators.Add(result =>
{
    if (result.GetValue(transfers) is < 1 or > 5_000) result.AddError("--transfers must be between 1 and 5000");
    if (result.GetValue(duration) is < 0.1 or > 600) result.AddError("--duration must be between 0.1 and 600 seconds");
    if (result.GetValue(concurrency) is < 1 or > 1_024) result.AddError("--concurrency must be between 1 and 1024");
    if (result.GetValue(kafkaMessages) is < 100 or > 1_000_000) result.AddError("--kafka-messages must be between 100 and 1000000");
});
root.SetAction((parse, ct) =>
{
    var defaults = parse.GetValue(quick) ? BenchmarkSettings.QuickDefaults : new BenchmarkSettings();
    var settings = defaults with
    {
        Transfers = parse.GetValue(transfers) ?? defaults.Transfers,
        Duration = parse.GetValue(duration) is { } seconds ? TimeSpan.FromSeconds(seconds) : defaults.Duration,
        Concurrency = parse.GetValue(concurrency) ?? defaults.Concurrency,
        KafkaMessages = parse.GetValue(kafkaMessages) ?? defaults.KafkaMessages,
        UseRedis = !parse.GetValue(noRedis),
    };
    return new BenchmarkRun(settings).RunAsync(ct);
});
return await root.Parse(args).InvokeAsync();
