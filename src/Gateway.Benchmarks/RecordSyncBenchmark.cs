using System.Diagnostics;
using Gateway.Benchmarks.Echo;
using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Records;
using Gateway.Domain.Values;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;
using NpgsqlTypes;
using Proto = Gateway.Contracts.Transfer.V1;

namespace Gateway.Benchmarks;

/// <summary>One apply-throughput run: N changes called at the owner, timed until the last is applied at the receiver.</summary>
public sealed record SyncApplyResult(string Kind, int Requested, long Applied, TimeSpan Elapsed, int Errors, string? FirstError,
    double AverageEnvelopeBytes, LatencySummary Calls, TimeSpan CallsElapsed)
{
    public double PerSecond => Elapsed > TimeSpan.Zero ? Applied / Elapsed.TotalSeconds : 0;
}

/// <summary>Where one backfill page cycle's time goes, read from the stored outbox/inbox timestamps of both nodes.</summary>
public sealed record BackfillBreakdown(int Pages, LatencySummary Cycle, LatencySummary RequestTransit, LatencySummary OwnerTurn,
    LatencySummary PageTransit, LatencySummary RequesterTurn, double AveragePageBytes, LatencySummary OwnerReadSql, double BulkLoadSeconds,
    LatencySummary ApplySql, LatencySummary LogSql);

/// <summary>A backfill of the owner's filings into the province of care, with the process's working set sampled meanwhile.</summary>
public sealed record BackfillResult(int Loaded, TimeSpan LoadElapsed, TimeSpan Elapsed, bool Done, long Pages, long RecordsReceived,
    long RecordsApplied, long BulkAtReceiver, long WorkingSetBefore, long PeakWorkingSet, long WorkingSetAfter, BackfillBreakdown? Breakdown)
{
    public double PerSecond => Elapsed > TimeSpan.Zero ? RecordsApplied / Elapsed.TotalSeconds : 0;
}

/// <summary>CheckDuplicateEnrolment for one person with records from many owners: at the index and at another node.</summary>
public sealed record DuplicateCheckResult(int Records, int Findings, LatencySummary AtIndex, LatencySummary Remote, LatencySummary Echo);

/// <summary>
/// Record sync (filings, enrolment, backfill) between the two in-process nodes: 15 is the owner, 51 the province of care
/// and the index province of persons with 51… identity numbers. Set-up rows that are not being measured go in with
/// direct SQL (binary COPY); everything measured goes through the nodes' own calls and envelopes.
/// </summary>
public sealed class RecordSyncBenchmark(GatewayCluster cluster, BenchmarkSettings settings, string owner, string receiver, DateOnly today)
    : IAsyncDisposable
{
    private const string BulkPrefix = "B15-";
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(10);
    private NpgsqlDataSource? _ownerDb, _receiverDb;
    private int _round;

    private NpgsqlDataSource OwnerDb => _ownerDb ??= BenchmarkConnections.Open(cluster[owner].ConnectionString);
    private NpgsqlDataSource ReceiverDb => _receiverDb ??= BenchmarkConnections.Open(cluster[receiver].ConnectionString);

    public async ValueTask DisposeAsync()
    {
        if (_ownerDb is not null) await _ownerDb.DisposeAsync();
        if (_receiverDb is not null) await _receiverDb.DisposeAsync();
    }

    /// <summary>The filing form as the owner's tests file it (seed 004 附表13), for one person, for care in the receiver's province.</summary>
    public Proto.Person PersonFor(string certno) => new()
    {
        PsnName = "测试人", PsnCertType = "01", Certno = certno, Phone = "13800000000",
        Gend = (certno[16] - '0') % 2 == 1 ? Proto.Gender.Male : Proto.Gender.Female,
    };

    private Filing NewFiling(string filingId, string certno) => new()
    {
        FilingId = filingId,
        FiledOn = Iso(today),
        Person = PersonFor(certno),
        SecondPhone = "0471-7654321",
        Insutype = Proto.InsuranceType.Employee,
        Category = FilingCategory.LongTermResident,
        InsuplcAdmdvs = "150102",
        DestinationProvince = receiver,
        DestinationCity = "510600",
        DestinationCounty = "510603",
        InsuredAddress = "内蒙古呼和浩特市新城区某街1号",
        CareAddress = "四川省德阳市旌阳区某路2号",
        ValidFrom = Iso(today),
        ValidTo = Iso(today.AddYears(1)), // a validity period on a form, not a deadline
    };

    private static string Iso(DateOnly d) => d.ToString("yyyy-MM-dd");

    // Distinct persons: 1,000 sequence numbers per birth date.
    private static string Certno(string region, DateOnly firstBirthDate, int i) => IdentityNumbers.Compose(region, firstBirthDate.AddDays(i / 1000), i % 1000);

    private async Task<long> CountAsync(NpgsqlDataSource db, string sql, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
    }

    /// <summary>N CreateFiling calls at the owner by <see cref="BenchmarkSettings.Concurrency"/> callers, until all are held at the receiver.</summary>
    public Task<SyncApplyResult> FilingApplyAsync(CancellationToken ct)
    {
        var round = Interlocked.Increment(ref _round);
        var client = new FilingService.FilingServiceClient(cluster[owner].Channel);
        var born = new DateOnly(1975, 1, 1).AddDays(round * 150);
        return ApplyAsync("filing", "FilingChanged", $"SELECT count(*) FROM filings WHERE owner_province = '{owner}'",
            async (i, token) => await client.CreateFilingAsync(
                new CreateFilingRequest { Filing = NewFiling($"S15-{round}-{i:D6}", Certno("150102", born, i)) }, TransferDriver.Key(),
                deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: token), ct);
    }

    /// <summary>N PublishEnrolment calls at the owner for persons whose index province is the receiver (51… identity numbers).</summary>
    public Task<SyncApplyResult> EnrolmentApplyAsync(CancellationToken ct)
    {
        var round = Interlocked.Increment(ref _round);
        var client = new EnrolmentService.EnrolmentServiceClient(cluster[owner].Channel);
        var born = new DateOnly(1965, 1, 1).AddDays(round * 150);
        return ApplyAsync("enrolment", "EnrolmentChanged", $"SELECT count(*) FROM enrolment_records WHERE owner_province = '{owner}'",
            async (i, token) => await client.PublishEnrolmentAsync(new PublishEnrolmentRequest
            {
                Record = new EnrolmentRecord
                {
                    RecordId = $"EB-{round}-{i:D6}", Person = new PersonRef { PsnCertType = "01", Certno = Certno("510104", born, i) },
                    InsuplcAdmdvs = "150100", Insutype = Proto.InsuranceType.Employee, Status = Proto.EnrolmentStatus.Active,
                    PaidFrom = "2020-01", PaidTo = "2025-06", Basis = EnrolmentBasis.Standard, CurrentEmployment = true,
                },
                ExpectedVersion = 0,
            }, TransferDriver.Key(), deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: token), ct);
    }

    private async Task<SyncApplyResult> ApplyAsync(string kind, string messageType, string countSql, Func<int, CancellationToken, Task> call,
        CancellationToken ct)
    {
        var n = settings.SyncChanges;
        var before = await CountAsync(ReceiverDb, countSql, ct);
        var outboxMark = await CountAsync(OwnerDb, "SELECT coalesce(max(id), 0) FROM outbox", ct);
        var next = -1;
        var errors = 0;
        string? firstError = null;
        var samples = new List<long>[settings.Concurrency];
        var clock = Stopwatch.StartNew();

        async Task Caller(int w)
        {
            var mine = samples[w] = new List<long>(n / settings.Concurrency + 1);
            for (var i = Interlocked.Increment(ref next); i < n; i = Interlocked.Increment(ref next))
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await call(i, ct);
                    mine.Add(Stopwatch.GetTimestamp() - start);
                }
                catch (RpcException ex) when (!ct.IsCancellationRequested)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, $"{ex.StatusCode}: {ex.Status.Detail}", null);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(w => Task.Run(() => Caller(w), ct)));
        var callsElapsed = clock.Elapsed;
        var deadline = clock.Elapsed + settings.SyncTimeout;
        long applied;
        while ((applied = await CountAsync(ReceiverDb, countSql, ct) - before) < n - errors && clock.Elapsed < deadline)
            await Task.Delay(PollEvery, ct);
        var elapsed = clock.Elapsed;

        await using var cmd = OwnerDb.CreateCommand("SELECT coalesce(avg(octet_length(payload)), 0) FROM outbox WHERE id > @mark AND message_type = @type");
        cmd.Parameters.AddWithValue("mark", outboxMark);
        cmd.Parameters.AddWithValue("type", messageType);
        var bytes = Convert.ToDouble(await cmd.ExecuteScalarAsync(ct));
        return new SyncApplyResult(kind, n, applied, elapsed, errors, firstError, bytes, LatencySummary.FromTicks(samples.SelectMany(s => s ?? [])), callsElapsed);
    }

    /// <summary>
    /// Bulk-loads <see cref="BenchmarkSettings.BackfillFilings"/> owner filings for care in the receiver straight into the
    /// owner's table (binary COPY, as the owner's CreateFiling would have stored them at version 1), then has the receiver
    /// backfill them through BackfillService and polls GetBackfill until done, sampling this process's working set.
    /// </summary>
    public async Task<BackfillResult> BackfillAsync(CancellationToken ct)
    {
        var m = settings.BackfillFilings;
        var load = Stopwatch.StartNew();
        await BulkLoadAsync(m, ct);
        load.Stop();
        await using (var analyze = OwnerDb.CreateCommand("ANALYZE filings")) await analyze.ExecuteNonQueryAsync(ct);
        Console.Out.WriteLine($"  bulk-loaded {m:N0} filings at {owner} in {load.Elapsed.TotalSeconds:N1} s");

        MemorySnapshot.Take("before the backfill (not reported)"); // start the sampling from a collected heap
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        var before = self.WorkingSet64;
        long peak = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            using var p = Process.GetCurrentProcess();
            while (!sampling.IsCancellationRequested)
            {
                p.Refresh();
                peak = Math.Max(peak, p.WorkingSet64);
                try { await Task.Delay(50, sampling.Token); } catch (OperationCanceledException) { }
            }
        }, CancellationToken.None);

        var client = new BackfillService.BackfillServiceClient(cluster[receiver].Channel);
        var clock = Stopwatch.StartNew();
        var run = await client.StartBackfillAsync(new StartBackfillRequest { OwnerProvinces = { owner }, Kinds = { "filing" }, Reason = "benchmark: fresh node" },
            TransferDriver.Key(), cancellationToken: ct);
        var deadline = settings.BackfillTimeout;
        while (!run.Done && clock.Elapsed < deadline)
        {
            await Task.Delay(20, ct);
            run = await client.GetBackfillAsync(new GetBackfillRequest { RunId = run.RunId }, cancellationToken: ct);
        }
        var elapsed = clock.Elapsed;
        await sampling.CancelAsync();
        await sampler;
        self.Refresh();
        var after = self.WorkingSet64;

        var bulk = await CountAsync(ReceiverDb, $"SELECT count(*) FROM filings WHERE owner_province = '{owner}' AND filing_id LIKE '{BulkPrefix}%'", ct);
        var pages = run.Progress.Sum(p => p.Pages);
        BackfillBreakdown? breakdown = null;
        try { breakdown = await BreakdownAsync(run.RunId, load.Elapsed, ct); }
        catch (Exception ex) when (ex is not OperationCanceledException) { Console.Out.WriteLine($"  breakdown not read: {ex.Message}"); }
        return new BackfillResult(m, load.Elapsed, elapsed, run.Done, pages, run.RecordsReceived, run.RecordsApplied, bulk, before, peak, after, breakdown);
    }

    private async Task BulkLoadAsync(int m, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var validFrom = today;
        var validTo = today.AddYears(1);
        var born = new DateOnly(1940, 1, 1);
        await using var conn = await OwnerDb.OpenConnectionAsync(ct);
        await using var writer = await conn.BeginBinaryImportAsync("""
            COPY filings (owner_province, filing_id, version, person_key, status, category, insutype, destination_province, destination_city,
                valid_from, valid_to, document, removed, delivered_to, last_action, last_reason, updated_at) FROM STDIN (FORMAT BINARY)
            """, ct);
        var template = NewFiling("", Certno("150102", born, 0));
        template.Status = FilingStatus.Active;
        for (var i = 0; i < m; i++)
        {
            var certno = Certno("150102", born, i);
            var filing = template.Clone();
            filing.FilingId = $"{BulkPrefix}{i:D8}";
            filing.Person = PersonFor(certno);
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(owner, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(filing.FilingId, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(1L, NpgsqlDbType.Bigint, ct);
            await writer.WriteAsync(PersonKey.Of(new IdentityNumber(CertificateDocumentType.ResidentIdentityCard, certno)).Value, NpgsqlDbType.Text, ct);
            await writer.WriteAsync("Active", NpgsqlDbType.Text, ct);
            await writer.WriteAsync("LongTermResident", NpgsqlDbType.Text, ct);
            await writer.WriteAsync(310, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(receiver, NpgsqlDbType.Text, ct);
            await writer.WriteAsync("510600", NpgsqlDbType.Text, ct);
            await writer.WriteAsync(validFrom, NpgsqlDbType.Date, ct);
            await writer.WriteAsync(validTo, NpgsqlDbType.Date, ct);
            await writer.WriteAsync(filing.ToByteArray(), NpgsqlDbType.Bytea, ct);
            await writer.WriteAsync(false, NpgsqlDbType.Boolean, ct);
            await writer.WriteAsync(receiver, NpgsqlDbType.Text, ct);
            await writer.WriteAsync("New", NpgsqlDbType.Text, ct);
            await writer.WriteNullAsync(ct);
            await writer.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
        }
        await writer.CompleteAsync(ct);
    }

    /// <summary>
    /// One page cycle, joined on the deterministic message ids (run, kind, cursor digest): the request's transaction at the
    /// receiver until it was published, its Kafka transit, the owner's inbox transaction (read the page, enqueue it) until
    /// the page was published, the page's transit, and the receiver's inbox transaction (apply the page, ask for the next)
    /// until the next request was published. Inbox <c>received_at</c> is its transaction's start.
    /// </summary>
    private async Task<BackfillBreakdown> BreakdownAsync(string runId, TimeSpan bulkLoad, CancellationToken ct)
    {
        // "<slice>:<cursor step>": a request and the page it asked for share it, and it is unique within the run.
        static string Step(string messageId, string marker)
        {
            if (!messageId.Contains(marker, StringComparison.Ordinal)) return "";
            var cursorAt = messageId.LastIndexOf(':');
            return cursorAt > 0 ? messageId[(messageId.LastIndexOf(':', cursorAt - 1) + 1)..] : "";
        }
        async Task<Dictionary<string, (DateTime? A, DateTime? B, long Bytes)>> Read(NpgsqlDataSource db, string sql)
        {
            await using var cmd = db.CreateCommand(sql);
            cmd.Parameters.AddWithValue("run", runId);
            var map = new Dictionary<string, (DateTime?, DateTime?, long)>(StringComparer.Ordinal);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                map[r.GetString(0)] = (r.IsDBNull(1) ? null : r.GetDateTime(1), r.IsDBNull(2) ? null : r.GetDateTime(2), r.IsDBNull(3) ? 0 : r.GetInt64(3));
            return map;
        }
        // Requests (receiver's outbox), their arrival at the owner, pages (owner's outbox), their arrival at the receiver.
        var requests = await Read(ReceiverDb, "SELECT message_id, created_at, last_published_at, 0::bigint FROM outbox WHERE correlation_id = @run AND message_type = 'BackfillRequested'");
        var requestsIn = await Read(OwnerDb, "SELECT message_id, received_at, NULL::timestamptz, 0::bigint FROM inbox WHERE message_id LIKE '%' || @run || '%' AND message_type = 'BackfillRequested'");
        var pages = await Read(OwnerDb, "SELECT message_id, created_at, last_published_at, octet_length(payload)::bigint FROM outbox WHERE correlation_id = @run AND message_type = 'BackfillPage'");
        var pagesIn = await Read(ReceiverDb, "SELECT message_id, received_at, NULL::timestamptz, 0::bigint FROM inbox WHERE message_id LIKE '%' || @run || '%' AND message_type = 'BackfillPage'");

        var pageByStep = pages.ToDictionary(p => Step(p.Key, ":backfill-page:"), p => (Id: p.Key, p.Value));
        // Each slice is its own chain of request → page → next request; the slices run side by side.
        var chains = requests.Select(r => (Id: r.Key, Step: Step(r.Key, ":backfill:"), r.Value))
            .GroupBy(r => r.Step[..r.Step.LastIndexOf(':')])
            .Select(g => g.OrderBy(r => r.Value.A).ToList()).ToList();
        List<double> cycle = [], reqTransit = [], ownerTurn = [], pageTransit = [], requesterTurn = [];
        static double Ms(DateTime? a, DateTime? b) => a is { } x && b is { } y ? (y - x).TotalMilliseconds : double.NaN;
        void Add(List<double> list, double v) { if (!double.IsNaN(v)) list.Add(v); }
        foreach (var ordered in chains)
        {
            for (var i = 0; i < ordered.Count; i++)
            {
                var (id, step, req) = ordered[i];
                var arrived = requestsIn.TryGetValue(id, out var a) ? a.A : null;
                Add(reqTransit, Ms(req.B, arrived));
                if (!pageByStep.TryGetValue(step, out var page)) continue;
                Add(ownerTurn, Ms(arrived, page.Value.B));
                var landed = pagesIn.TryGetValue(page.Id, out var l) ? l.A : null;
                Add(pageTransit, Ms(page.Value.B, landed));
                if (i + 1 < ordered.Count)
                {
                    Add(requesterTurn, Ms(landed, ordered[i + 1].Value.B));
                    Add(cycle, Ms(req.B, ordered[i + 1].Value.B));
                }
            }
        }

        // The owner's page read alone, as plain SQL on the owner's server: the same statement over the first pages.
        var reads = new List<long>();
        var (afterKey, afterId) = ("", "");
        await using (var conn = await OwnerDb.OpenConnectionAsync(ct))
        {
            for (var i = 0; i < 20; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var rows = await Gateway.Storage.FilingReplicaBatch.OwnedForDestinationAsync(conn, null, owner, receiver,
                    Gateway.Storage.PersonKeyRange.Slice(0, 4), afterKey, afterId, 501, ct);
                reads.Add(Stopwatch.GetTimestamp() - start);
                if (rows.Count == 0) break;
                var last = rows[Math.Min(rows.Count, 500) - 1];
                (afterKey, afterId) = (last.PersonKey, last.FilingId);
            }
        }
        // The receiver's page apply alone, in its own PostgreSQL: the node's two statements (version-guarded upsert of 500
        // new rows, change-log append) on a table that already holds the backfilled rows, each page in a transaction
        // that is rolled back so the node's data stays as the backfill left it.
        var applies = new List<long>();
        var logs = new List<long>();
        var probeBorn = new DateOnly(1930, 1, 1);
        await using (var conn = await ReceiverDb.OpenConnectionAsync(ct))
        {
            var template = NewFiling("", Certno("150102", probeBorn, 0));
            template.Status = FilingStatus.Active;
            for (var page = 0; page < 21; page++)
            {
                var now = DateTimeOffset.UtcNow;
                var rows = Enumerable.Range(0, 500).Select(i =>
                {
                    var certno = Certno("150102", probeBorn, page * 500 + i);
                    var f = template.Clone();
                    f.FilingId = $"P15-{page:D3}-{i:D4}";
                    f.Person = PersonFor(certno);
                    return new Gateway.Storage.FilingRow(owner, f.FilingId, 1, PersonKey.Of(new IdentityNumber(CertificateDocumentType.ResidentIdentityCard, certno)).Value,
                        "Active", "LongTermResident", 310, receiver, "510600", today, today.AddYears(1), f.ToByteArray(), false, null, "New", null, now);
                }).ToList();
                await using var tx = await conn.BeginTransactionAsync(ct);
                var start = Stopwatch.GetTimestamp();
                var applied = await Gateway.Storage.FilingReplicaBatch.ApplyAsync(conn, tx, rows, ct);
                var mid = Stopwatch.GetTimestamp();
                await Gateway.Storage.RecordChangeLog.AppendManyAsync(conn, tx, Gateway.Node.Sync.RecordKinds.Filing,
                    applied.Select(r => (r.OwnerProvince, r.FilingId, r.PersonKey, r.Version, Gateway.Storage.RecordChangeLog.Upsert, (byte[]?)r.Document)).ToList(), now, ct);
                var end = Stopwatch.GetTimestamp();
                await tx.RollbackAsync(ct);
                if (page == 0) continue; // plans and connection warm
                applies.Add(mid - start);
                logs.Add(end - mid);
            }
        }
        return new BackfillBreakdown(chains.Sum(c => c.Count), LatencySummary.FromMilliseconds(cycle), LatencySummary.FromMilliseconds(reqTransit),
            LatencySummary.FromMilliseconds(ownerTurn), LatencySummary.FromMilliseconds(pageTransit), LatencySummary.FromMilliseconds(requesterTurn),
            pages.Count > 0 ? pages.Values.Average(p => p.Bytes) : double.NaN, LatencySummary.FromTicks(reads.Skip(1)), bulkLoad.TotalSeconds,
            LatencySummary.FromTicks(applies), LatencySummary.FromTicks(logs));
    }

    /// <summary>
    /// One person indexed at the receiver with one record from each of 32 owner provinces (inserted as EnrolmentStore
    /// stores applied records), then CheckDuplicateEnrolment one call after another at the index and at the owner node
    /// (which asks the index over Kafka), beside bare echo calls made the same way.
    /// </summary>
    public async Task<DuplicateCheckResult> DuplicateCheckAsync(int calls, CancellationToken ct)
    {
        var certno = IdentityNumbers.Compose("510104", new DateOnly(1999, 9, 9), 777);
        var identity = new IdentityNumber(CertificateDocumentType.ResidentIdentityCard, certno);
        var personKey = PersonKey.Of(identity).Value;
        var owners = ProvinceCode.All.Select(p => p.Value).Where(p => p is not ("71" or "81" or "82")).Take(32).ToList();
        await using (var batch = ReceiverDb.CreateBatch())
        {
            var now = DateTime.UtcNow;
            for (var i = 0; i < owners.Count; i++)
            {
                var employee = i % 2 == 0;
                var record = new EnrolmentRecord
                {
                    RecordId = $"DUP-{owners[i]}-{i:D2}", Person = new PersonRef { PsnCertType = "01", Certno = certno },
                    InsuplcAdmdvs = $"{owners[i]}0100", Insutype = employee ? Proto.InsuranceType.Employee : Proto.InsuranceType.Resident,
                    Status = Proto.EnrolmentStatus.Active, PaidFrom = $"{2015 + i % 8}-01", PaidTo = "2025-12", Basis = EnrolmentBasis.Standard,
                    CurrentEmployment = employee && i == 0,
                };
                var cmd = new NpgsqlBatchCommand("""
                    INSERT INTO enrolment_records (owner_province, record_id, person_key, version, insuplc_admdvs, insutype, status, paid_from,
                        paid_to, basis, current_employment, document, applied_at)
                    VALUES ($1, $2, $3, 1, $4, $5, 1, $6, $7, 1, $8, $9, $10) ON CONFLICT DO NOTHING
                    """);
                foreach (var v in new object[] { owners[i], record.RecordId, personKey, record.InsuplcAdmdvs, (int)record.Insutype, record.PaidFrom,
                             record.PaidTo, record.CurrentEmployment, record.ToByteArray(), now })
                    cmd.Parameters.Add(new NpgsqlParameter { Value = v });
                batch.BatchCommands.Add(cmd);
            }
            await batch.ExecuteNonQueryAsync(ct);
        }

        var request = new CheckDuplicateEnrolmentRequest { Person = new PersonRef { PsnCertType = "01", Certno = certno } };
        async Task<(LatencySummary, int)> Calls(GrpcChannel channel)
        {
            var client = new EnrolmentService.EnrolmentServiceClient(channel);
            var findings = 0;
            var samples = new List<long>(calls);
            for (var i = 0; i < 20 + calls; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var answer = await client.CheckDuplicateEnrolmentAsync(request, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
                if (i >= 20) samples.Add(Stopwatch.GetTimestamp() - start);
                findings = answer.Findings.Count;
            }
            return (LatencySummary.FromTicks(samples), findings);
        }
        var (local, found) = await Calls(cluster[receiver].Channel);
        var (remote, _) = await Calls(cluster[owner].Channel);

        await using var echo = await EchoHost.StartAsync(ct);
        using var echoChannel = GrpcChannel.ForAddress(echo.Address);
        var echoClient = new EchoService.EchoServiceClient(echoChannel);
        var message = new EchoMessage { Payload = ByteString.CopyFrom(new byte[request.CalculateSize()]) };
        var echoes = new List<long>(calls);
        for (var i = 0; i < 20 + calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await echoClient.EchoAsync(message, cancellationToken: ct);
            if (i >= 20) echoes.Add(Stopwatch.GetTimestamp() - start);
        }
        return new DuplicateCheckResult(owners.Count, found, local, remote, LatencySummary.FromTicks(echoes));
    }
}
