using System.CommandLine;
using Gateway.Benchmarks;

var quick = new Option<bool>("--quick") { Description = "Small counts and short phases (under a minute): checks that the benchmark works" };
var single = new Option<int?>("--single") { Description = "Transfers run one after another, uncontended (default 100; 10 with --quick)" };
var burst = new Option<int?>("--burst") { Description = "Transfers started at once, half each way (default 1000; 50 with --quick)" };
var repeat = new Option<int?>("--repeat") { Description = "Runs of each scenario and its baselines; median and min–max are printed (default 3; 1 with --quick)" };
var duration = new Option<double?>("--duration") { Description = "Seconds of each call scenario (default 3; 1 with --quick)" };
var concurrency = new Option<int?>("--concurrency") { Description = "Concurrent gRPC callers (default 16)" };
var kafkaMessages = new Option<int?>("--kafka-messages") { Description = "Messages in the raw Kafka throughput phase (default 20000; 2000 with --quick)" };
var hostile = new Option<int?>("--hostile-calls") { Description = "Malformed calls in the hostile-calls phase (default 3000; 400 with --quick)" };
var hostileProcess = new Option<bool>("--hostile-process") { Description = "Also send the hostile calls to a node started as its own process and report its resident memory (about 15 s more)" };
var syncOnly = new Option<bool>("--sync-only") { Description = "Only the record-sync phase (filing and enrolment apply, backfill, duplicate check): skips calls, transfers and hostile calls" };
var syncFilings = new Option<int?>("--sync-filings") { Description = "Filings, and as many enrolment changes, called at the owner in the sync apply phase (default 2000; 300 with --quick)" };
var backfillFilings = new Option<int?>("--backfill-filings") { Description = "Owner filings bulk-loaded and backfilled into the province of care (default 200000; 10000 with --quick; 0 skips)" };
var opsResend = new Option<int?>("--ops-resend") { Description = "Failed letters re-sent by the operators' paced bulk re-send, through the CLI (default 1000; 100 with --quick; 0 skips)" };
var noSignaturesOff = new Option<bool>("--no-signatures-off") { Description = "Skip the second cluster with signatures off (the signing cost comparison)" };
var noRedis = new Option<bool>("--no-redis") { Description = "Nodes use the in-memory idempotency fast path instead of a private redis-server" };

var root = new RootCommand(
    "Gateway benchmarks: the transfer path (single, burst), node calls, record sync (apply, backfill, duplicate check), hostile calls and memory, each beside a baseline " +
    "measured in the same run (bare gRPC, Redis, PostgreSQL commits, raw Kafka), with the issue's targets.");
foreach (var option in new Option[] { quick, single, burst, repeat, duration, concurrency, kafkaMessages, hostile, hostileProcess, syncOnly, syncFilings, backfillFilings, opsResend, noSignaturesOff, noRedis }) root.Options.Add(option);
root.Validators.Add(result =>
{
    if (result.GetValue(single) is < 1 or > 10_000) result.AddError("--single must be between 1 and 10000");
    if (result.GetValue(burst) is < 2 or > 10_000) result.AddError("--burst must be between 2 and 10000");
    if (result.GetValue(repeat) is < 1 or > 20) result.AddError("--repeat must be between 1 and 20");
    if (result.GetValue(duration) is < 0.1 or > 600) result.AddError("--duration must be between 0.1 and 600 seconds");
    if (result.GetValue(concurrency) is < 1 or > 1_024) result.AddError("--concurrency must be between 1 and 1024");
    if (result.GetValue(kafkaMessages) is < 100 or > 1_000_000) result.AddError("--kafka-messages must be between 100 and 1000000");
    if (result.GetValue(syncFilings) is < 1 or > 100_000) result.AddError("--sync-filings must be between 1 and 100000");
    if (result.GetValue(backfillFilings) is < 0 or > 10_000_000) result.AddError("--backfill-filings must be between 0 and 10000000");
    if (result.GetValue(opsResend) is < 0 or > 100_000) result.AddError("--ops-resend must be between 0 and 100000");
    if (result.GetValue(hostile) is < 0 or > 1_000_000) result.AddError("--hostile-calls must be between 0 and 1000000");
});
root.SetAction((parse, ct) =>
{
    var defaults = parse.GetValue(quick) ? BenchmarkSettings.QuickDefaults : new BenchmarkSettings();
    var settings = defaults with
    {
        SingleTransfers = parse.GetValue(single) ?? defaults.SingleTransfers,
        Burst = parse.GetValue(burst) ?? defaults.Burst,
        Repeat = parse.GetValue(repeat) ?? defaults.Repeat,
        Duration = parse.GetValue(duration) is { } seconds ? TimeSpan.FromSeconds(seconds) : defaults.Duration,
        Concurrency = parse.GetValue(concurrency) ?? defaults.Concurrency,
        KafkaMessages = parse.GetValue(kafkaMessages) ?? defaults.KafkaMessages,
        HostileCalls = parse.GetValue(hostile) ?? defaults.HostileCalls,
        HostileProcess = parse.GetValue(hostileProcess),
        UseRedis = !parse.GetValue(noRedis),
        SyncOnly = parse.GetValue(syncOnly),
        SyncChanges = parse.GetValue(syncFilings) ?? defaults.SyncChanges,
        BackfillFilings = parse.GetValue(backfillFilings) ?? defaults.BackfillFilings,
        OpsResend = parse.GetValue(opsResend) ?? defaults.OpsResend,
        SignaturesOff = !parse.GetValue(noSignaturesOff),
    };
    return new BenchmarkRun(settings).RunAsync(ct);
});
return await root.Parse(args).InvokeAsync();
