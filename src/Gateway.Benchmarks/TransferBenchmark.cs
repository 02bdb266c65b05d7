using System.Diagnostics;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Npgsql;

namespace Gateway.Benchmarks;

/// <summary>What one transfer phase measured.</summary>
public sealed record TransferPhaseResult(
    string Starter,
    int Requested,
    int Completed,
    IReadOnlyDictionary<string, int> Unfinished,
    int StartFailures,
    TimeSpan Makespan,
    LatencySummary EndToEnd,
    LatencySummary DestinationCompleted,
    LatencySummary Start,
    long EnvelopeRows,
    long EnvelopesPublished,
    long Resends,
    double AverageEnvelopeBytes,
    IReadOnlyDictionary<string, long> EnvelopesByType,
    IReadOnlyList<string> TransferIds,
    IReadOnlyList<StageTime> Stages,
    PathCounts Path,
    IReadOnlyList<ConnectionPeak> ConnectionPeaks,
    IReadOnlyList<PoolPeak> PoolPeaks,
    int MaxConnections,
    long AllocatedBytes,
    string? FirstStartError)
{
    public double TransfersPerSecond => Makespan > TimeSpan.Zero ? Completed / Makespan.TotalSeconds : 0;
    public double EnvelopesPerSecond => Makespan > TimeSpan.Zero ? EnvelopesPublished / Makespan.TotalSeconds : 0;

    /// <summary>Managed bytes allocated by the whole process per completed transfer, while the phase ran.</summary>
    public double AllocatedPerTransfer => Completed > 0 ? (double)AllocatedBytes / Completed : double.NaN;
}

/// <summary>
/// Transfers between two provinces (half each way): certificate at the origin and application at the destination,
/// then outbox → relay → Kafka → inbox → PostgreSQL → work item → simulated province system → receipt, until the
/// destination completed and the origin acknowledged. Either all at once through an <see cref="ITransferStarter"/>
/// (the burst) or one after another (uncontended). Completion is watched in the nodes' databases, not by polling
/// GetTransfer, so the watcher does not load the gRPC path it measures; times come from the rows' updated_at.
/// </summary>
public sealed class TransferBenchmark(GatewayCluster cluster, BenchmarkSettings settings, string first, string second, DateOnly today)
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(25);

    // One transfer at a time: a short poll, so the next one starts soon after (the end time comes from the rows anyway).
    private static readonly TimeSpan SingleWatchInterval = TimeSpan.FromMilliseconds(3);

    /// <summary>The driver remembers which people it used, so no two transfers of the run share a person.</summary>
    public TransferDriver Driver { get; } = new(cluster);

    private IReadOnlyList<TransferOrder> Orders(int count) => Enumerable.Range(0, count)
        .Select(i => i % 2 == 0 ? (Origin: first, Destination: second) : (Origin: second, Destination: first))
        .Select(p => new TransferOrder(p.Origin, p.Destination, Driver.PickPerson(p.Origin, EnrolmentState.Suspended)))
        .ToList();

    /// <summary>All <paramref name="count"/> transfers started at once by <paramref name="starter"/>.</summary>
    public Task<TransferPhaseResult> RunBurstAsync(int count, ITransferStarter starter, CancellationToken ct) =>
        MeasureAsync(count, starter.Name, WatchInterval, sources => starter.StartAsync(Orders(count), today, ct), ct);

    /// <summary>
    /// One transfer after another, each from SubmitApplication until both sides ended; its certificate is issued
    /// just before, outside the timing, so the figure is the exchange path alone.
    /// </summary>
    public Task<TransferPhaseResult> RunSequentialAsync(int count, CancellationToken ct) =>
        MeasureAsync(count, "one at a time: SubmitApplication (certificate issued beforehand)", SingleWatchInterval, async sources =>
        {
            var started = new List<StartedTransfer>(count);
            foreach (var order in Orders(count))
            {
                try
                {
                    var certificate = await Driver.IssueCertificateAsync(order.Origin, order.Person, today, ct);
                    var at = DateTimeOffset.UtcNow;
                    var clock = Stopwatch.StartNew();
                    var accepted = await Driver.SubmitAsync(order.Destination, certificate, today, ct);
                    started.Add(new StartedTransfer(order, accepted.TransferId, at, clock.Elapsed.TotalMilliseconds, null));
                    await WaitForEndAsync(sources.Values, [accepted.TransferId], TimeSpan.FromSeconds(30), SingleWatchInterval, ct);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    started.Add(new StartedTransfer(order, null, DateTimeOffset.UtcNow, 0, $"{ex.GetType().Name}: {ex.Message}"));
                }
            }
            return started;
        }, ct);

    private async Task<TransferPhaseResult> MeasureAsync(int count, string starterName, TimeSpan watchInterval,
        Func<Dictionary<string, NpgsqlDataSource>, Task<IReadOnlyList<StartedTransfer>>> start, CancellationToken ct)
    {
        var sources = cluster.Nodes.Values.ToDictionary(n => n.Province, n => BenchmarkConnections.Open(n.ConnectionString));
        try
        {
            var outboxMark = new Dictionary<string, long>();
            foreach (var (province, db) in sources) outboxMark[province] = await MaxOutboxIdAsync(db, ct);

            await using var sampler = await ConnectionSampler.StartAsync(cluster.Postgres.ConnectionString(), ct);
            await using var pools = new PoolSampler();
            var phaseStart = DateTimeOffset.UtcNow;
            var allocatedBefore = GC.GetTotalAllocatedBytes();
            var outcomes = await start(sources);
            var started = outcomes.Where(o => o.TransferId is not null).ToList();
            var failures = outcomes.Count(o => o.TransferId is null);
            var firstError = outcomes.FirstOrDefault(o => o.Error is not null)?.Error;

            var ids = started.Select(s => s.TransferId!).ToArray();
            var timeout = settings.TransferTimeout + TimeSpan.FromMilliseconds(200 * count);
            await WaitForEndAsync(sources.Values, ids, timeout, watchInterval, ct);
            var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
            var peaks = await sampler.StopAsync();
            var poolPeaks = await pools.StopAsync();
            await WaitForOutboxQuietAsync(sources, outboxMark, TimeSpan.FromSeconds(5), ct);

            var rows = new List<(string Id, string Role, string State, DateTimeOffset UpdatedAt)>();
            foreach (var db in sources.Values) rows.AddRange(await ReadTransfersAsync(db, ids, ct));
            var byId = rows.GroupBy(r => r.Id).ToDictionary(g => g.Key, g => g.ToList());

            var endToEnd = new List<double>();
            var destinationDone = new List<double>();
            var unfinished = new Dictionary<string, int>();
            var endById = new Dictionary<string, DateTimeOffset>();
            DateTimeOffset? lastEnd = null;
            foreach (var s in started)
            {
                var sides = byId.GetValueOrDefault(s.TransferId!) ?? [];
                var dest = sides.FirstOrDefault(r => r.Role == "Destination");
                var orig = sides.FirstOrDefault(r => r.Role == "Origin");
                if (dest.State == "Completed" && orig.State == "Acknowledged")
                {
                    var end = dest.UpdatedAt > orig.UpdatedAt ? dest.UpdatedAt : orig.UpdatedAt;
                    endById[s.TransferId!] = end;
                    endToEnd.Add((end - s.At).TotalMilliseconds);
                    destinationDone.Add((dest.UpdatedAt - s.At).TotalMilliseconds);
                    if (lastEnd is null || end > lastEnd) lastEnd = end;
                }
                else
                {
                    var key = $"{dest.State ?? "missing"}/{orig.State ?? "missing"}";
                    unfinished[key] = unfinished.GetValueOrDefault(key) + 1;
                }
            }

            var firstStart = started.Count == 0 ? DateTimeOffset.UtcNow : started.Min(s => s.At);
            var makespan = lastEnd is null ? TimeSpan.Zero : lastEnd.Value - firstStart;
            long envelopeRows = 0, published = 0, resends = 0, inboxTransactions = 0;
            double bytes = 0;
            var byType = new Dictionary<string, long>();
            var answers = new List<(string TransferId, DateTimeOffset AnsweredAt)>();
            foreach (var (province, db) in sources)
            {
                var stats = await OutboxStatsAsync(db, outboxMark[province], ct);
                envelopeRows += stats.Rows;
                published += stats.Published;
                resends += stats.Resends;
                bytes += stats.Bytes;
                foreach (var (type, n) in stats.ByType) byType[type] = byType.GetValueOrDefault(type) + n;
                inboxTransactions += await InboxTransactionsAsync(db, phaseStart, ct);
                answers.AddRange(await AnswersAsync(db, ids, ct));
            }
            var path = PathOf(endById, byType, inboxTransactions, answers);

            var stages = await StageTimes.ReadAsync(sources.Values, started.ToDictionary(s => s.TransferId!, s => s.At),
                sources.ToDictionary(kv => kv.Value, kv => outboxMark[kv.Key]), phaseStart, ct);

            return new TransferPhaseResult(starterName, count, endToEnd.Count, unfinished, failures, makespan,
                LatencySummary.FromMilliseconds(endToEnd), LatencySummary.FromMilliseconds(destinationDone),
                LatencySummary.FromMilliseconds(started.Select(s => s.StartMs)),
                envelopeRows, published, resends, envelopeRows > 0 ? bytes / envelopeRows : 0, byType, ids, stages, path,
                peaks, poolPeaks, sampler.MaxConnections, allocated, firstError);
        }
        finally
        {
            foreach (var db in sources.Values) await db.DisposeAsync();
        }
    }

    /// <summary>Per completed transfer: envelopes, receipts, inbox transactions, and work-item answers (before its end, and in all).</summary>
    private static PathCounts PathOf(Dictionary<string, DateTimeOffset> endById, Dictionary<string, long> byType, long inboxTransactions,
        List<(string TransferId, DateTimeOffset AnsweredAt)> answers)
    {
        var n = endById.Count;
        if (n == 0) return PathCounts.Empty;
        var receipts = byType.GetValueOrDefault("Receipt");
        var envelopes = byType.Values.Sum() - receipts;
        var done = answers.Where(a => endById.ContainsKey(a.TransferId)).ToList();
        var beforeEnd = done.Count(a => a.AnsweredAt <= endById[a.TransferId]);
        return new PathCounts((double)envelopes / n, (double)receipts / n, (double)inboxTransactions / n, (double)beforeEnd / n, (double)done.Count / n);
    }

    /// <summary>Inbox rows take now() (their transaction's start) as received_at, so distinct values count the batches that committed.</summary>
    private static async Task<long> InboxTransactionsAsync(NpgsqlDataSource db, DateTimeOffset since, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT count(DISTINCT received_at) FROM inbox WHERE received_at >= @since");
        cmd.Parameters.AddWithValue("since", since);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task<List<(string, DateTimeOffset)>> AnswersAsync(NpgsqlDataSource db, string[] ids, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT transfer_id, answered_at FROM work_items WHERE transfer_id = ANY(@ids) AND status = 'answered'");
        cmd.Parameters.AddWithValue("ids", ids);
        var rows = new List<(string, DateTimeOffset)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows.Add((reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1)));
        return rows;
    }

    private static async Task WaitForEndAsync(IEnumerable<NpgsqlDataSource> sources, string[] ids, TimeSpan timeout, TimeSpan interval, CancellationToken ct)
    {
        // Both sides of a transfer: the destination's Completed and the origin's Acknowledged (or any other end).
        const string sql = """
            SELECT count(*) FROM transfers WHERE transfer_id = ANY(@ids)
            AND state IN ('Completed', 'Acknowledged', 'LetterReturned', 'Withdrawn')
            """;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            long ended = 0;
            foreach (var db in sources)
            {
                await using var cmd = db.CreateCommand(sql);
                cmd.Parameters.AddWithValue("ids", ids);
                ended += (long)(await cmd.ExecuteScalarAsync(ct))!;
            }
            if (ended >= 2L * ids.Length) return;
            await Task.Delay(interval, ct);
        }
    }

    /// <summary>The last receipts leave just after the last state change; count them too.</summary>
    private static async Task WaitForOutboxQuietAsync(Dictionary<string, NpgsqlDataSource> sources, Dictionary<string, long> mark, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            long pending = 0;
            foreach (var (province, db) in sources)
            {
                await using var cmd = db.CreateCommand("SELECT count(*) FROM outbox WHERE id > @mark AND status = 'pending'");
                cmd.Parameters.AddWithValue("mark", mark[province]);
                pending += (long)(await cmd.ExecuteScalarAsync(ct))!;
            }
            if (pending == 0) return;
            await Task.Delay(WatchInterval, ct);
        }
    }

    private static async Task<long> MaxOutboxIdAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT coalesce(max(id), 0) FROM outbox");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task<List<(string, string, string, DateTimeOffset)>> ReadTransfersAsync(NpgsqlDataSource db, string[] ids, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT transfer_id, role, state, updated_at FROM transfers WHERE transfer_id = ANY(@ids)");
        cmd.Parameters.AddWithValue("ids", ids);
        var rows = new List<(string, string, string, DateTimeOffset)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
        return rows;
    }

    private sealed record OutboxStats(long Rows, long Published, long Resends, double Bytes, Dictionary<string, long> ByType);

    private static async Task<OutboxStats> OutboxStatsAsync(NpgsqlDataSource db, long mark, CancellationToken ct)
    {
        // attempts counts every publish of a row; more than one means it was re-sent for want of a receipt.
        await using var cmd = db.CreateCommand("""
            SELECT message_type, count(*), coalesce(sum(attempts), 0), coalesce(sum(greatest(attempts - 1, 0)), 0),
                   coalesce(sum(octet_length(payload)), 0)
            FROM outbox WHERE id > @mark GROUP BY message_type
            """);
        cmd.Parameters.AddWithValue("mark", mark);
        long rows = 0, published = 0, resends = 0;
        double bytes = 0;
        var byType = new Dictionary<string, long>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var count = reader.GetInt64(1);
            byType[reader.GetString(0)] = count;
            rows += count;
            published += reader.GetInt64(2);
            resends += reader.GetInt64(3);
            bytes += reader.GetInt64(4);
        }
        return new OutboxStats(rows, published, resends, bytes, byType);
    }
}
