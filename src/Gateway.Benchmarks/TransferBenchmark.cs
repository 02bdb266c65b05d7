using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Npgsql;

namespace Gateway.Benchmarks;

/// <summary>What the end-to-end phase measured.</summary>
public sealed record TransferPhaseResult(
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
    IReadOnlyList<ConnectionPeak> ConnectionPeaks,
    IReadOnlyList<PoolPeak> PoolPeaks,
    int MaxConnections,
    string? FirstStartError)
{
    public double TransfersPerSecond => Makespan > TimeSpan.Zero ? Completed / Makespan.TotalSeconds : 0;
    public double EnvelopesPerSecond => Makespan > TimeSpan.Zero ? EnvelopesPublished / Makespan.TotalSeconds : 0;
}

/// <summary>
/// K transfers started at once between two provinces (half each way): certificate at the origin and
/// application at the destination through <see cref="TransferDriver"/>, then outbox → relay → Kafka →
/// inbox → PostgreSQL → work item → simulated province system → receipt, until the destination completed
/// and the origin acknowledged. Completion is watched in the nodes' databases, not by polling GetTransfer,
/// so the watcher does not load the gRPC path it measures; times come from the rows' updated_at.
/// </summary>
public sealed class TransferBenchmark(GatewayCluster cluster, BenchmarkSettings settings, string first, string second, DateOnly today)
{
    // The driver remembers which people it used, so warm-up and measured transfers never share a person.
    private readonly TransferDriver _driver = new(cluster);

    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(25);

    private sealed record Started(string TransferId, DateTimeOffset At, double StartMs);

    public async Task<TransferPhaseResult> RunAsync(int count, CancellationToken ct)
    {
        var pairs = Enumerable.Range(0, count)
            .Select(i => i % 2 == 0 ? (Origin: first, Destination: second) : (Origin: second, Destination: first))
            .Select(p => (p.Origin, p.Destination, Person: _driver.PickPerson(p.Origin, EnrolmentState.Suspended)))
            .ToList();
        var sources = cluster.Nodes.Values.ToDictionary(n => n.Province, n => BenchmarkConnections.Open(n.ConnectionString));
        try
        {
            var outboxMark = new Dictionary<string, long>();
            foreach (var (province, db) in sources) outboxMark[province] = await MaxOutboxIdAsync(db, ct);

            await using var sampler = await ConnectionSampler.StartAsync(cluster.Postgres.ConnectionString(), ct);
            await using var pools = new PoolSampler();
            var phaseStart = DateTimeOffset.UtcNow;
            var started = new ConcurrentBag<Started>();
            var failures = 0;
            string? firstError = null;
            await Task.WhenAll(pairs.Select(p => Task.Run(async () =>
            {
                var at = DateTimeOffset.UtcNow;
                var clock = Stopwatch.StartNew();
                try
                {
                    var certificate = await _driver.IssueCertificateAsync(p.Origin, p.Person, today, ct);
                    var accepted = await _driver.SubmitAsync(p.Destination, certificate, today, ct);
                    started.Add(new Started(accepted.TransferId, at, clock.Elapsed.TotalMilliseconds));
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    Interlocked.Increment(ref failures);
                    Interlocked.CompareExchange(ref firstError, $"{ex.GetType().Name}: {ex.Message}", null);
                }
            }, ct)));

            var ids = started.Select(s => s.TransferId).ToArray();
            var timeout = settings.TransferTimeout + TimeSpan.FromMilliseconds(200 * count);
            await WaitForEndAsync(sources.Values, ids, timeout, ct);
            var peaks = await sampler.StopAsync();
            var poolPeaks = await pools.StopAsync();
            await WaitForOutboxQuietAsync(sources, outboxMark, TimeSpan.FromSeconds(5), ct);

            var rows = new List<(string Id, string Role, string State, DateTimeOffset UpdatedAt)>();
            foreach (var db in sources.Values) rows.AddRange(await ReadTransfersAsync(db, ids, ct));
            var byId = rows.GroupBy(r => r.Id).ToDictionary(g => g.Key, g => g.ToList());

            var endToEnd = new List<double>();
            var destinationDone = new List<double>();
            var unfinished = new Dictionary<string, int>();
            DateTimeOffset? lastEnd = null;
            foreach (var s in started)
            {
                var sides = byId.GetValueOrDefault(s.TransferId) ?? [];
                var dest = sides.FirstOrDefault(r => r.Role == "Destination");
                var orig = sides.FirstOrDefault(r => r.Role == "Origin");
                if (dest.State == "Completed" && orig.State == "Acknowledged")
                {
                    var end = dest.UpdatedAt > orig.UpdatedAt ? dest.UpdatedAt : orig.UpdatedAt;
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

            var firstStart = started.IsEmpty ? DateTimeOffset.UtcNow : started.Min(s => s.At);
            var makespan = lastEnd is null ? TimeSpan.Zero : lastEnd.Value - firstStart;
            long envelopeRows = 0, published = 0, resends = 0;
            double bytes = 0;
            var byType = new Dictionary<string, long>();
            foreach (var (province, db) in sources)
            {
                var stats = await OutboxStatsAsync(db, outboxMark[province], ct);
                envelopeRows += stats.Rows;
                published += stats.Published;
                resends += stats.Resends;
                bytes += stats.Bytes;
                foreach (var (type, n) in stats.ByType) byType[type] = byType.GetValueOrDefault(type) + n;
            }

            var stages = await StageTimes.ReadAsync(sources.Values, started.ToDictionary(s => s.TransferId, s => s.At),
                sources.ToDictionary(kv => kv.Value, kv => outboxMark[kv.Key]), phaseStart, ct);

            return new TransferPhaseResult(count, endToEnd.Count, unfinished, failures, makespan,
                LatencySummary.FromMilliseconds(endToEnd), LatencySummary.FromMilliseconds(destinationDone),
                LatencySummary.FromMilliseconds(started.Select(s => s.StartMs)),
                envelopeRows, published, resends, envelopeRows > 0 ? bytes / envelopeRows : 0, byType, ids, stages, peaks, poolPeaks, sampler.MaxConnections, firstError);
        }
        finally
        {
            foreach (var db in sources.Values) await db.DisposeAsync();
        }
    }

    private static async Task WaitForEndAsync(IEnumerable<NpgsqlDataSource> sources, string[] ids, TimeSpan timeout, CancellationToken ct)
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
            await Task.Delay(WatchInterval, ct);
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
