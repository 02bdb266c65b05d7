using System.Diagnostics;
using System.Runtime.InteropServices;
using Gateway.Harness;
using Spectre.Console;

namespace Gateway.Benchmarks;

/// <summary>
/// One benchmark run: start a two-province cluster in this process, run every scenario <see cref="BenchmarkSettings.Repeat"/>
/// times, each repetition beside its baselines (interleaved, so a noisy minute hits both), print, stop.
/// </summary>
public sealed class BenchmarkRun(BenchmarkSettings settings)
{
    public const string First = "15";
    public const string Second = "51";
    public const string MemEmpty = "process, nothing started";
    public const string MemIdle = "cluster started, idle";
    public const string MemBeforeBurst = "before the first burst";
    public const string MemAfterBurst = "after burst";
    public const string MemBeforeHostile = "before the hostile calls";
    public const string MemAfterHostile = "after the hostile calls";
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
            // Each transfer takes one unused person with a balance (about 70% of synthetic people have one), per origin
            // province; the IssueCertificate scenario takes its people from the far end of the registry.
            var perOrigin = WarmupTransfers / 2 + settings.Repeat * (settings.SingleTransfers + settings.Burst) / 2 + 1;
            cluster = await GatewayCluster.StartAsync(new ClusterOptions
            {
                Provinces = [First, Second],
                UseRedis = settings.UseRedis,
                PeoplePerProvince = (int)(perOrigin * 1.6) + 300,
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

            await using var grpc = new GrpcBenchmarks(cluster, settings, First, today);
            await using var postgres = new PostgresBenchmarks(cluster, settings);
            await using var redis = cluster.Redis is { } server ? new RedisBenchmark(server.Endpoint, settings) : null;
            results.EchoPayloadBytes = grpc.RequestBytes;
            results.CertificateRegions = grpc.PoolingRegions;
            results.ProfileRegions = grpc.ProfileRegions;

            if (!settings.SyncOnly)
            {
                // A discarded round first: right after start-up the nodes' background loops, JIT and pools are still
                // settling, and whatever ran first (the echo baseline) used to measure slow.
                Step("Warm-up round: every call baseline and scenario once, not reported");
                await grpc.EchoAsync(settings.FirstWarmup, ct, settings.FirstWarmup);
                if (redis is not null) await redis.SetAsync(results.EchoPayloadBytes, settings.FirstWarmup, ct, settings.FirstWarmup);
                await postgres.IndependentCommitsAsync(results.EchoPayloadBytes, settings.FirstWarmup, ct, settings.FirstWarmup);
                await postgres.SharedCounterCommitsAsync(results.EchoPayloadBytes, settings.Warmup, ct, settings.Warmup);
                await grpc.IssueCertificateAsync(settings.FirstWarmup, ct, settings.FirstWarmup);
                await grpc.ReplayAsync(settings.Warmup, ct, settings.Warmup);

                // Calls: every baseline and scenario once per repetition, each after its own short warm-up.
                for (var r = 0; r < settings.Repeat; r++)
                {
                    var warmup = settings.Warmup;
                    Round("Calls", r);
                    Step($"gRPC baseline: bare echo of {results.EchoPayloadBytes} bytes, {settings.Concurrency} callers, {settings.Duration.TotalSeconds:0.#} s");
                    results.Echo.Add(Print(results, await grpc.EchoAsync(warmup, ct)));
                    if (redis is not null)
                    {
                        Step("Redis baseline: SET round trip on the cluster's redis-server");
                        results.Redis.Add(Print(results, await redis.SetAsync(results.EchoPayloadBytes, warmup, ct)));
                    }
                    Step("PostgreSQL baseline: one-row insert transactions, durable commit");
                    results.PgCommits.Add(Print(results, await postgres.IndependentCommitsAsync(results.EchoPayloadBytes, warmup, ct)));
                    Step("PostgreSQL baseline: the same after bumping one shared counter row (as a document sequence does)");
                    results.PgCounterCommits.Add(Print(results, await postgres.SharedCounterCommitsAsync(results.EchoPayloadBytes, warmup, ct)));
                    Step($"gRPC: node IssueCertificate, a new idempotency key per call, callers spread over {results.CertificateRegions} pooling regions");
                    results.IssueCertificate.Add(Print(results, await grpc.IssueCertificateAsync(warmup, ct)));
                    Step("gRPC: node IssueCertificate repeating keys (idempotent replay)");
                    results.Replay.Add(Print(results, await grpc.ReplayAsync(warmup, ct)));
                }

                // A small concurrent batch first: every exchange code path runs once before timing, and reads have rows to read.
                var exchange = new TransferBenchmark(cluster, settings, First, Second, today);
                Step($"Exchange warm-up: {WarmupTransfers} transfers (not reported)");
                var warm = await exchange.RunBurstAsync(WarmupTransfers, new UnaryTransferStarter(exchange.Driver), ct);
                CheckTransfers("warm-up", warm, results.Problems);
                if (warm.TransferIds.Count > 0)
                {
                    Step("gRPC: node GetTransfer on existing transfers");
                    results.GetTransfer = Print(results, await grpc.GetTransferAsync(warm.TransferIds, Second, settings.FirstWarmup, ct));
                    Step("PostgreSQL baseline: the same two reads with plain Npgsql");
                    results.PgTransferReads = Print(results, await postgres.TransferReadsAsync(Second, warm.TransferIds, settings.FirstWarmup, ct));
                    Step("CPU baseline: GetTransfer's view mapping alone, one thread");
                    results.ViewCpu = Print(results, await ViewBenchmark.RunAsync(cluster, Second, warm.TransferIds, settings, ct));
                }

                var kafka = new KafkaBenchmarks(cluster.Broker);
                var envelopeSize = warm.AverageEnvelopeBytes > 0 ? (int)Math.Round(warm.AverageEnvelopeBytes) : 1024;
                for (var r = 0; r < settings.Repeat; r++)
                {
                    Round("Single transfer, uncontended", r);
                    Step($"Kafka baseline: {settings.RoundTrips} sequential produce→consume round trips of {envelopeSize} bytes");
                    var rtt = kafka.RoundTrip(settings.RoundTrips, envelopeSize, ct);
                    results.KafkaRoundTrip.Add(rtt);
                    AnsiConsole.MarkupLineInterpolated($"  p50 {Format.Ms(rtt.Latency.P50Ms)}, p99 {Format.Ms(rtt.Latency.P99Ms)}");
                    Step($"PostgreSQL baseline: {settings.RoundTrips} sequential insert + durable commit, one caller");
                    var commit = await postgres.SequentialCommitsAsync(results.EchoPayloadBytes, settings.RoundTrips, ct);
                    results.CommitLatency.Add(commit);
                    AnsiConsole.MarkupLineInterpolated($"  p50 {Format.Ms(commit.P50Ms)}, p99 {Format.Ms(commit.P99Ms)}");
                    Step($"Exchange: {settings.SingleTransfers} transfers one after another, SubmitApplication → both sides ended");
                    var single = await exchange.RunSequentialAsync(settings.SingleTransfers, ct);
                    results.Single.Add(single);
                    AnsiConsole.MarkupLineInterpolated($"  {single.Completed}/{single.Requested} ended on both sides; p50 {Format.Ms(single.EndToEnd.P50Ms)}, p99 {Format.Ms(single.EndToEnd.P99Ms)}");
                    CheckTransfers("single", single, results.Problems);
                }

                var starter = new BatchTransferStarter(exchange.Driver);
                results.BurstStarter = starter.Name;
                for (var r = 0; r < settings.Repeat; r++)
                {
                    Round("Burst", r);
                    Step($"PostgreSQL baseline: insert + commit with {settings.Burst} callers");
                    results.PgBurstCommits.Add(Print(results, await postgres.CommitsAtAsync(settings.Burst, results.EchoPayloadBytes, r == 0 ? settings.FirstWarmup : settings.Warmup, ct)));
                    if (r == 0) results.Memory.Add(MemorySnapshot.Take(MemBeforeBurst));
                    Step($"Exchange: {settings.Burst} transfers started at once between {First} and {Second} (half each way), {starter.Name}");
                    var burst = await exchange.RunBurstAsync(settings.Burst, starter, ct);
                    results.Burst.Add(burst);
                    results.Memory.Add(MemorySnapshot.Take($"{MemAfterBurst} {r + 1}"));
                    AnsiConsole.MarkupLineInterpolated($"  {burst.Completed}/{burst.Requested} ended on both sides in {burst.Makespan.TotalSeconds:N2} s ({Format.Rate(burst.TransfersPerSecond)}); {burst.EnvelopesPublished} envelopes, {burst.Resends} re-sends");
                    CheckTransfers("burst", burst, results.Problems);
                }

                var size = results.Burst.Count > 0 && results.Burst[^1].AverageEnvelopeBytes > 0 ? (int)Math.Round(results.Burst[^1].AverageEnvelopeBytes) : envelopeSize;
                var partitions = cluster.Options.InboxPartitions;
                var count = KafkaBenchmarks.CapForRetention(settings.KafkaMessages, size, partitions);
                Step($"Kafka baseline: {count} messages of {size} bytes through {partitions} partitions");
                results.KafkaThroughput = await kafka.ThroughputAsync(count, size, partitions, ct);
                AnsiConsole.MarkupLineInterpolated($"  produced {Format.Rate(results.KafkaThroughput.ProducedPerSecond)}, produce→consume {Format.Rate(results.KafkaThroughput.ConsumedPerSecond)}");
                if (results.KafkaThroughput.Errors > 0) results.Problems.Add($"{results.KafkaThroughput.Errors} raw Kafka delivery errors");

            }

            // Record sync after the transfer phases, before the hostile calls (whose retained buffers would blur its memory figures).
            await RunRecordSyncAsync(cluster, results, today, ct);

            if (settings.HostileCalls > 0 && !settings.SyncOnly)
            {
                results.Memory.Add(MemorySnapshot.Take(MemBeforeHostile));
                Step($"Hostile calls: {settings.HostileCalls} malformed calls against node {Second}, {settings.Concurrency} callers");
                var hostile = results.Hostile = await new HostileCalls(cluster, settings, Second, today).RunAsync(ct);
                results.Memory.Add(MemorySnapshot.Take(MemAfterHostile));
                AnsiConsole.MarkupLineInterpolated($"  {hostile.Calls} calls in {hostile.Elapsed.TotalSeconds:N1} s, {hostile.Unexpected} unexpected answers, {hostile.StreamResets} stream resets, node serving afterwards: {hostile.ServingAfter}");
                // Findings, not failures of the command: the exit code is about phases running and transfers ending.
                if (hostile.Unexpected > 0) results.Notes.Add($"hostile calls: {hostile.Unexpected} answered other than refused ({hostile.FirstUnexpected})");
                if (hostile.StreamResets > 0) results.Notes.Add($"hostile calls: {hostile.StreamResets} calls (well-formed ones too) had their HTTP/2 stream reset by Kestrel with ENHANCE_YOUR_CALM; see docs/benchmarks.md, Profiles");
                if (!hostile.ServingAfter) results.Problems.Add("hostile calls: the node did not answer its health check afterwards");
            }
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

        if (settings.HostileProcess && settings.HostileCalls > 0 && !settings.SyncOnly)
        {
            try
            {
                Step($"Hostile calls: {settings.HostileCalls} malformed calls against node {Second} started as its own process");
                var process = results.HostileProcess = await HostileProcess.RunAsync(settings, First, Second, ct);
                if (process.Calls.Unexpected > 0) results.Notes.Add($"hostile calls (node process): {process.Calls.Unexpected} answered other than refused ({process.Calls.FirstUnexpected})");
                if (!process.Calls.ServingAfter) results.Problems.Add("hostile calls (node process): the node did not answer its health check afterwards");
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                results.Problems.Add($"hostile calls (node process) stopped early: {ex.GetType().Name}: {ex.Message}");
            }
        }

        if (settings.SignaturesOff && !settings.SyncOnly && results.Burst.Count > 0)
        {
            try
            {
                var size = results.Burst[^1].AverageEnvelopeBytes > 0 ? (int)Math.Round(results.Burst[^1].AverageEnvelopeBytes) : 1024;
                Step($"Signatures: sign and verify per {size}-byte envelope, every algorithm; then the burst and filing apply again with Gateway:Signing:Disabled (own two nodes)");
                results.SignaturesOff = await SignatureCostBenchmark.RunAsync(settings, size, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                results.Problems.Add($"signatures-off run stopped early: {ex.GetType().Name}: {ex.Message}");
            }
        }

        if (settings.OpsResend > 0 && !settings.SyncOnly)
        {
            try
            {
                Step($"Bulk re-send: {settings.OpsResend} failed letters from {Second} to {First}, whose inbox the broker lost, through `gateway-ops resend-job start --wait` (own two nodes)");
                OpsResendBenchmark.Print(results.OpsResend = await OpsResendBenchmark.RunAsync(settings, ct), results.Problems);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                results.Problems.Add($"bulk re-send stopped early: {ex.GetType().Name}: {ex.Message}");
            }
        }

        new BenchmarkReport(settings, results).Print();
        AnsiConsole.MarkupLineInterpolated($"Total run time {total.Elapsed.TotalSeconds:N1} s.");
        foreach (var note in results.Notes) AnsiConsole.MarkupLineInterpolated($"[yellow]Note:[/] {note}");
        foreach (var problem in results.Problems) AnsiConsole.MarkupLineInterpolated($"[red]Problem:[/] {problem}");
        return results.Problems.Count == 0 ? 0 : 1;
    }

    public const string MemBeforeSync = "before the record-sync phase";
    public const string MemAfterBackfill = "after the backfill";

    /// <summary>
    /// Filing and enrolment apply throughput (each repetition beside a raw Kafka stream of as many messages of the
    /// envelopes' size), one backfill into the province of care, then the duplicate check at the index and elsewhere.
    /// </summary>
    private async Task RunRecordSyncAsync(GatewayCluster cluster, BenchmarkResults results, DateOnly today, CancellationToken ct)
    {
        await using var sync = new RecordSyncBenchmark(cluster, settings, First, Second, today);
        var kafka = new KafkaBenchmarks(cluster.Broker);
        var partitions = cluster.Options.InboxPartitions;
        results.Memory.Add(MemorySnapshot.Take(MemBeforeSync));

        void Apply(SyncApplyResult a)
        {
            AnsiConsole.MarkupLineInterpolated($"  {a.Applied:N0}/{a.Requested:N0} applied at {Second} in {a.Elapsed.TotalSeconds:N2} s ({Format.Rate(a.PerSecond)}; calls done at {a.CallsElapsed.TotalSeconds:N2} s); calls p50 {Format.Ms(a.Calls.P50Ms)}, p99 {Format.Ms(a.Calls.P99Ms)}; envelope {Format.Bytes(a.AverageEnvelopeBytes)}; {a.Errors} errors");
            if (a.Errors > 0) results.Problems.Add($"record sync ({a.Kind}): {a.Errors} calls failed ({a.FirstError})");
            if (a.Applied < a.Requested - a.Errors) results.Problems.Add($"record sync ({a.Kind}): only {a.Applied} of {a.Requested - a.Errors} changes were applied at {Second} in time");
        }
        async Task<KafkaThroughputResult> Raw(SyncApplyResult a)
        {
            var size = a.AverageEnvelopeBytes > 0 ? (int)Math.Round(a.AverageEnvelopeBytes) : 1024;
            var count = KafkaBenchmarks.CapForRetention(a.Requested, size, partitions);
            Step($"Kafka baseline: {count} messages of {size} bytes through {partitions} partitions");
            var k = await kafka.ThroughputAsync(count, size, partitions, ct);
            AnsiConsole.MarkupLineInterpolated($"  produce→consume {Format.Rate(k.ConsumedPerSecond)}");
            if (k.Errors > 0) results.Problems.Add($"{k.Errors} raw Kafka delivery errors");
            return k;
        }

        for (var r = 0; r < settings.Repeat; r++)
        {
            Round("Record sync: apply throughput", r);
            Step($"Record sync: {settings.SyncChanges} CreateFiling at {First} ({settings.Concurrency} callers), care in {Second}, until all are applied there");
            var filings = await sync.FilingApplyAsync(ct);
            results.FilingApply.Add(filings);
            Apply(filings);
            results.FilingKafka.Add(await Raw(filings));
            Step($"Record sync: {settings.SyncChanges} PublishEnrolment at {First} ({settings.Concurrency} callers) for persons indexed at {Second}, until all are applied there");
            var enrolment = await sync.EnrolmentApplyAsync(ct);
            results.EnrolmentApply.Add(enrolment);
            Apply(enrolment);
            results.EnrolmentKafka.Add(await Raw(enrolment));
        }

        if (settings.BackfillFilings > 0)
        {
            Step($"Backfill: {settings.BackfillFilings:N0} owner filings bulk-loaded at {First} (binary COPY), then StartBackfill at {Second} until done");
            var b = results.Backfill = await sync.BackfillAsync(ct);
            AnsiConsole.MarkupLineInterpolated($"  done {b.Done} in {b.Elapsed.TotalSeconds:N1} s ({Format.Rate(b.PerSecond)}), {b.Pages:N0} pages, {b.RecordsApplied:N0} applied of {b.RecordsReceived:N0} received; bulk filings at {Second}: {b.BulkAtReceiver:N0}; working set {Format.Bytes(b.WorkingSetBefore)} → peak {Format.Bytes(b.PeakWorkingSet)} → {Format.Bytes(b.WorkingSetAfter)}");
            if (!b.Done) results.Problems.Add($"backfill: not done after {settings.BackfillTimeout.TotalMinutes:0} min ({b.RecordsApplied:N0} applied)");
            else if (b.BulkAtReceiver != b.Loaded) results.Problems.Add($"backfill: {b.BulkAtReceiver:N0} of the {b.Loaded:N0} bulk-loaded filings are held at {Second}");
            var after = results.AfterBackfill = MemorySnapshot.Take(MemAfterBackfill);
            results.Memory.Add(after);
        }

        Step($"Duplicate check: one person indexed at {Second} with records from 32 owner provinces, {settings.DuplicateChecks} CheckDuplicateEnrolment calls at {Second} and at {First}, one after another");
        var d = results.DuplicateCheck = await sync.DuplicateCheckAsync(settings.DuplicateChecks, ct);
        AnsiConsole.MarkupLineInterpolated($"  {d.Findings} findings; at the index p50 {Format.Ms(d.AtIndex.P50Ms)}, p99 {Format.Ms(d.AtIndex.P99Ms)}; at {First} p50 {Format.Ms(d.Remote.P50Ms)}, p99 {Format.Ms(d.Remote.P99Ms)}; bare echo p50 {Format.Ms(d.Echo.P50Ms)}, p99 {Format.Ms(d.Echo.P99Ms)}");
    }

    private void PrintHeader()
    {
        AnsiConsole.MarkupLine("[bold]Gateway benchmarks[/] (every ratio is against a baseline measured in this same run)");
        AnsiConsole.MarkupLineInterpolated(
            $"{(settings.Quick ? "quick" : "full")} run: {settings.Repeat} × each scenario; {settings.SingleTransfers} single transfers, burst of {settings.Burst}, {settings.Concurrency} callers × {settings.Duration.TotalSeconds:0.#} s per call scenario, {settings.HostileCalls} hostile calls; record sync: {settings.SyncChanges} changes, backfill of {settings.BackfillFilings:N0}{(settings.SyncOnly ? " (--sync-only: record sync alone)" : "")}");
        AnsiConsole.MarkupLineInterpolated(
            $"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        AnsiConsole.MarkupLineInterpolated($"GC: {GcConfiguration.Describe()}");
    }

    private void Round(string phase, int r)
    {
        if (settings.Repeat > 1) AnsiConsole.MarkupLineInterpolated($"[bold]{phase}: run {r + 1} of {settings.Repeat}[/]");
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
