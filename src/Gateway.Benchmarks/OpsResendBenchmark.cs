using System.Diagnostics;
using System.Globalization;
using Gateway.Contracts.Ops.V1;
using Gateway.Harness;
using Gateway.Ops.Cli;
using Gateway.ProvinceSimulator;
using Npgsql;
using Spectre.Console;

namespace Gateway.Benchmarks;

/// <summary>A paced bulk re-send run through the operators' CLI, beside raw Kafka for as many envelopes of that size.</summary>
public sealed record OpsResendResult(int Letters, int PerSecond, int CliExit, TimeSpan Requeued, TimeSpan Settled, TimeSpan Completed,
    int Acknowledged, int FailedAgain, int TransfersCompleted, double AverageLetterBytes, KafkaThroughputResult Kafka)
{
    public TimeSpan PaceIdeal => TimeSpan.FromSeconds((double)Letters / PerSecond);
}

/// <summary>
/// Its own two nodes with a one-send budget: node 15 is stopped, 51 sends it N contact letters that fail, the broker
/// loses 15's inbox (offsets moved to the end, as retention would), 15 comes back, and `gateway-ops resend-job start
/// --wait` re-sends them from 51's outbox at a pace. Timed until every letter is acknowledged and every transfer done.
/// </summary>
public static class OpsResendBenchmark
{
    private const string Origin = "15", Destination = "51";

    public static async Task<OpsResendResult> RunAsync(BenchmarkSettings settings, CancellationToken ct)
    {
        var letters = settings.OpsResend;
        await using var cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = [Origin, Destination], UseRedis = settings.UseRedis, PeoplePerProvince = (int)(letters * 1.6) + 100,
            NodeSettings = new Dictionary<string, string>
            {
                ["Gateway:ResendBudget"] = "1", ["Gateway:ResendFirstDelay"] = "00:00:01", ["Gateway:ResendMaxDelay"] = "00:00:01",
                // A thousand letters fail on purpose: their one-line warnings would bury the figures.
                ["Logging:LogLevel:Gateway.Node.Exchange.OutboxRelay"] = "Critical",
                ["Logging:Console:FormatterName"] = "simple", ["Logging:Console:FormatterOptions:SingleLine"] = "true",
            },
        }, ct: ct);
        var driver = new TransferDriver(cluster);
        var today = TransferDriver.Today;
        var certificates = new List<Contracts.Transfer.V1.Certificate>();
        foreach (var chunk in Enumerable.Range(0, letters).Select(_ => driver.PickPerson(Origin, EnrolmentState.Suspended)).Chunk(100))
            certificates.AddRange((await driver.IssueManyAsync(Origin, chunk, today, ct)).Results.Select(r => r.Certificate));

        var from = DateTimeOffset.UtcNow.AddSeconds(-1);
        await cluster[Origin].StopAsync();
        foreach (var chunk in certificates.Chunk(100))
            await driver.SubmitManyAsync(Destination, chunk.Select(c => driver.BuildApplication(Destination, c, today)).ToList(), ct: ct);
        await using var db = NpgsqlDataSource.Create(cluster[Destination].ConnectionString);
        await NodeFaults.PollAsync(async () => await CountAsync(db, "SELECT count(*) FROM outbox WHERE message_type = 'ContactLetterSent' AND status = 'failed'") >= letters
            ? "" : null, $"{letters} letters to fail", TimeSpan.FromMinutes(2));
        var bytes = await ScalarAsync<decimal>(db, "SELECT avg(octet_length(payload)) FROM outbox WHERE message_type = 'ContactLetterSent'");
        NodeFaults.LoseInbox(cluster, Origin);
        await cluster[Origin].StartAsync(ct);
        var to = DateTimeOffset.UtcNow.AddSeconds(1);

        var perSecond = Math.Min(1000, Math.Max(1, letters / 2)); // about two seconds of pace
        var clock = Stopwatch.StartNew();
        var exit = await CliApp.RunAsync(
        [
            "resend-job", "start", "--counterpart", Origin, "--from", Iso(from), "--to", Iso(to), "--per-second", perSecond.ToString(CultureInfo.InvariantCulture),
            "--wait", "--reason", "benchmark: node 15 lost its inbox", "--operator", "benchmark", "--node", cluster[Destination].Address.ToString(),
        ], Console.Out, ct);
        var settled = clock.Elapsed;
        var ops = new OpsService.OpsServiceClient(cluster[Destination].Channel);
        var job = (await ops.ListResendJobsAsync(new ListResendJobsRequest { PageSize = 1 }, cancellationToken: ct)).Jobs.Single();
        var requeued = job.UpdatedAt.ToDateTimeOffset() - job.StartedAt.ToDateTimeOffset();
        await NodeFaults.PollAsync(async () => await CountAsync(db, "SELECT count(*) FROM transfers WHERE state = 'Completed'") >= letters ? "" : null,
            "every transfer to complete", TimeSpan.FromMinutes(3));
        var completed = clock.Elapsed;
        var transfers = (int)await CountAsync(db, "SELECT count(*) FROM transfers WHERE state = 'Completed'");

        var size = (int)Math.Round(bytes);
        var count = KafkaBenchmarks.CapForRetention(letters, size, cluster.Options.InboxPartitions);
        var kafka = await new KafkaBenchmarks(cluster.Broker).ThroughputAsync(count, size, cluster.Options.InboxPartitions, ct);
        return new OpsResendResult(letters, perSecond, exit, requeued, settled, completed, job.Acknowledged, job.FailedAgain, transfers, (double)bytes, kafka);
    }

    private static string Iso(DateTimeOffset at) => at.ToString("O", CultureInfo.InvariantCulture);

    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql) => await ScalarAsync<long>(db, sql);

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public static void Print(OpsResendResult r, List<string> problems)
    {
        AnsiConsole.MarkupLineInterpolated($"  CLI exit {r.CliExit}; re-queued in {r.Requeued.TotalSeconds:N1} s (pace {r.PerSecond}/s: {r.PaceIdeal.TotalSeconds:N1} s); every letter's outcome known after {r.Settled.TotalSeconds:N1} s: {r.Acknowledged} acknowledged, {r.FailedAgain} failed again; {r.TransfersCompleted}/{r.Letters} transfers completed after {r.Completed.TotalSeconds:N1} s; raw Kafka {r.Kafka.Messages} × {Format.Bytes(r.AverageLetterBytes)}: {r.Kafka.EndToEndElapsed.TotalSeconds:N2} s");
        if (r.CliExit != 0) problems.Add($"bulk re-send: the CLI exited {r.CliExit}");
        if (r.Acknowledged + r.FailedAgain < r.Letters) problems.Add($"bulk re-send: only {r.Acknowledged + r.FailedAgain} of {r.Letters} letters have an outcome");
        if (r.TransfersCompleted < r.Letters) problems.Add($"bulk re-send: {r.TransfersCompleted} of {r.Letters} transfers completed");
    }
}
