using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;
using Gateway.Harness;
using Spectre.Console;

namespace Gateway.Benchmarks;

/// <summary>One benchmark run: start a two-province cluster in this process, run every phase with its baseline, print, stop.</summary>
public sealed class BenchmarkRun(BenchmarkSettings settings)
{
    public const string First = "15";
    public const string Second = "51";
    public const string MemEmpty = "process, nothing started";
    public const string MemIdle = "cluster started, idle";
    public const string MemBeforeTransfers = "before transfers";
    public const string MemAfterTransfers = "after transfers";
    public const string MemEnd = "after all phases";
    private const int WarmupTransfers = 20;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        if (AnsiConsole.Profile.Width < 160) AnsiConsole.Profile.Width = 160; // logs without a terminal
        PrintHeader();
        var results = new BenchmarkResults();
        var total = Stopwatch.StartNew();
        results.Memory.Add(MemorySnapshot.Take(MemEmpty));

        GatewayCluster? cluster = null;
        try
        {
            Step("Starting the embedded broker, PostgreSQL, redis-server and two nodes (in this process)");
            cluster = await GatewayCluster.StartAsync(new ClusterOptions
            {
                Provinces = [First, Second],
                UseRedis = settings.UseRedis,
                // Each transfer takes one unused person with a balance; about 70% of synthetic people have one.
                PeoplePerProvince = settings.Transfers + WarmupTransfers + 60,
                // Node warnings stay visible (they are findings) but one line each, between the progress lines.
                NodeSettings = new Dictionary<string, string>
                {
                    ["Logging:Console:FormatterName"] = "simple",
                    ["Logging:Console:FormatterOptions:SingleLine"] = "true",
                },
            }, ct: ct);
            if (cluster.RedisFallbackNote is not null) AnsiConsole.MarkupLineInterpolated($"[yellow]{cluster.RedisFallbackNote}[/]");
            // The business day in China: dates on documents, as the province clerks would write them.
            var today = TransferDriver.Today;
            results.Memory.Add(MemorySnapshot.Take(MemIdle));

            var grpc = new GrpcBenchmarks(cluster, settings, First, today);
            results.EchoPayloadBytes = grpc.RequestBytes;
            Step($"gRPC baseline: bare echo of {results.EchoPayloadBytes} bytes, {settings.Concurrency} callers, {settings.Duration.TotalSeconds:0.#} s");
            results.Echo = Print(results, await grpc.EchoAsync(ct));
            await using var postgres = new PostgresBenchmarks(cluster, settings);
            Step("PostgreSQL baseline: one-row insert transactions, durable commit");
            results.PgCommits = Print(results, await postgres.IndependentCommitsAsync(results.EchoPayloadBytes, ct));
            Step("PostgreSQL baseline: the same after bumping one shared counter row (as a document sequence does)");
            results.PgCounterCommits = Print(results, await postgres.SharedCounterCommitsAsync(results.EchoPayloadBytes, ct));
            await postgres.DisposeAsync();
            results.CertificateRegions = grpc.PoolingRegions;
            Step($"gRPC: node IssueCertificate with a new idempotency key per call ({results.CertificateRegions} pooling regions among the certificates)");
            results.IssueCertificate = Print(results, await grpc.IssueCertificateAsync(ct));
            Step("gRPC: node IssueCertificate repeating keys (idempotent replay)");
            results.Replay = Print(results, await grpc.ReplayAsync(ct));

            // A small batch first: every exchange code path runs once before timing, and reads have rows to read
            // before the measured burst grows the nodes' connection pools (see docs/benchmarks.md).
            var exchange = new TransferBenchmark(cluster, settings, First, Second, today);
            var warmupCount = Math.Min(WarmupTransfers, settings.Transfers);
            Step($"Exchange warm-up: {warmupCount} transfers");
            var warmup = await exchange.RunAsync(warmupCount, ct);
            CheckTransfers("warm-up", warmup, results.Problems);
            if (warmup.TransferIds.Count > 0)
            {
                Step("gRPC: node GetTransfer on existing transfers");
                results.GetTransfer = Print(results, await grpc.GetTransferAsync(warmup.TransferIds, Second, ct));
                Step("PostgreSQL baseline: the same two reads with plain Npgsql");
                results.PgTransferReads = Print(results, await postgres.TransferReadsAsync(Second, warmup.TransferIds, ct));
                Step("CPU baseline: GetTransfer's view mapping alone, one thread");
                results.ViewCpu = Print(results, await ViewBenchmark.RunAsync(cluster, Second, warmup.TransferIds, settings, ct));
            }

            results.Memory.Add(MemorySnapshot.Take(MemBeforeTransfers));
            Step($"Exchange: {settings.Transfers} transfers started at once between {First} and {Second} (half each way)");
            var transfers = await exchange.RunAsync(settings.Transfers, ct);
            results.Transfers = transfers;
            results.Memory.Add(MemorySnapshot.Take(MemAfterTransfers));
            AnsiConsole.MarkupLineInterpolated($"  {transfers.Completed}/{transfers.Requested} completed on both sides in {transfers.Makespan.TotalSeconds:N2} s; {transfers.EnvelopesPublished} envelopes published");
            CheckTransfers("measured", transfers, results.Problems);

            var kafka = new KafkaBenchmarks(cluster.Broker);
            var size = transfers.AverageEnvelopeBytes > 0 ? (int)Math.Round(transfers.AverageEnvelopeBytes) : 1024;
            Step($"Kafka baseline: {settings.KafkaRoundTrips} sequential round trips of {size}-byte messages");
            results.KafkaRoundTrip = kafka.RoundTrip(settings.KafkaRoundTrips, size, ct);
            AnsiConsole.MarkupLineInterpolated($"  p50 {Format.Ms(results.KafkaRoundTrip.Latency.P50Ms)}, p99 {Format.Ms(results.KafkaRoundTrip.Latency.P99Ms)}");
            var partitions = cluster.Options.InboxPartitions;
            var count = KafkaBenchmarks.CapForRetention(settings.KafkaMessages, size, partitions);
            Step($"Kafka baseline: {count} messages of {size} bytes through {partitions} partitions");
            results.KafkaThroughput = await kafka.ThroughputAsync(count, size, partitions, ct);
            AnsiConsole.MarkupLineInterpolated($"  produced {Format.Rate(results.KafkaThroughput.ProducedPerSecond)}, produce→consume {Format.Rate(results.KafkaThroughput.ConsumedPerSecond)}");
            if (results.KafkaThroughput.Errors > 0) results.Problems.Add($"{results.KafkaThroughput.Errors} raw Kafka delivery errors");

            results.Memory.Add(MemorySnapshot.Take(MemEnd));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            results.Problems.Add($"the run stopped early: {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            if (cluster is not null)
            {
                Step("Stopping nodes and servers");
                await cluster.DisposeAsync();
            }
        }

        new BenchmarkReport(settings, results).Print();
        AnsiConsole.MarkupLineInterpolated($"Total run time {total.Elapsed.TotalSeconds:N1} s.");
        foreach (var problem in results.Problems) AnsiConsole.MarkupLineInterpolated($"[red]Problem:[/] {problem}");
        return results.Problems.Count == 0 ? 0 : 1;
    }

    private void PrintHeader()
    {
        AnsiConsole.MarkupLine("[bold]Gateway benchmarks[/] (every ratio is against a baseline measured in this same run)");
        AnsiConsole.MarkupLineInterpolated(
            $"{(settings.Quick ? "quick" : "full")} run: {settings.Transfers} transfers, {settings.Concurrency} gRPC callers, {settings.Duration.TotalSeconds:0.#} s per gRPC scenario, {settings.KafkaMessages} raw Kafka messages");
        AnsiConsole.MarkupLineInterpolated(
            $"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC");
    }

    private static void Step(string text) => AnsiConsole.MarkupLineInterpolated($"[grey]{DateTime.Now:HH:mm:ss}[/] {text}");

    private static LoadResult Print(BenchmarkResults results, LoadResult r)
    {
        if (r.Errors > 0) results.Problems.Add($"{r.Name}: {r.Errors} failed calls ({r.FirstError})");
        if (r.Calls == 0) results.Problems.Add($"{r.Name}: no call completed");
        AnsiConsole.MarkupLineInterpolated($"  {r.Calls} calls, {Format.Rate(r.CallsPerSecond)}, p50 {Format.Ms(r.Latency.P50Ms)}, p99 {Format.Ms(r.Latency.P99Ms)}, {r.Errors} errors");
        if (r.FirstError is not null) AnsiConsole.MarkupLineInterpolated($"  [yellow]first error: {r.FirstError}[/]");
        return r;
    }

    private static void CheckTransfers(string phase, TransferPhaseResult t, List<string> problems)
    {
        if (t.StartFailures > 0) problems.Add($"{phase}: {t.StartFailures} transfers could not be started ({t.FirstStartError})");
        if (t.Unfinished.Count > 0)
            problems.Add($"{phase}: {t.Unfinished.Values.Sum()} transfers did not end as Completed/Acknowledged in time: " +
                string.Join(", ", t.Unfinished.Select(u => $"{u.Value} × {u.Key} (destination/origin)")));
    }
}
