using Gateway.Contracts.Sync.V1;
using Gateway.ProvinceSimulator;
using StackExchange.Redis;
using Proto = Gateway.Contracts.Transfer.V1;

namespace Gateway.Harness.Tests;

/// <summary>
/// Three nodes as processes: 15 内蒙古 and 11 北京 own filings and enrolment records, 51 四川 holds the filings for care
/// in Sichuan and indexes persons with 51 identity numbers. Backfill asks for pages of 5 in one slice, so a run has many pages.
/// </summary>
public sealed class BackfillClusterFixture : IAsyncLifetime
{
    public const string Inner = "15", Sichuan = "51", Beijing = "11";
    public GatewayCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = [Inner, Sichuan, Beijing],
            NodesAsProcesses = true,
            StartSimulators = false,
            PeoplePerProvince = 5,
            BackfillOnNewDatabase = true, // as in production: a node on a new database asks the others at start
            NodeSettings = new Dictionary<string, string>
            {
                ["Gateway:ResendFirstDelay"] = "00:00:01",
                ["Gateway:ResendMaxDelay"] = "00:00:02",
                ["Gateway:ResendBudget"] = "60",
                ["Gateway:OutboxPollInterval"] = "00:00:00.200",
                // One chain of small pages per owner and kind: a run of dozens of pages, long enough to kill in the middle.
                ["Gateway:BackfillPageRecords"] = "5",
                ["Gateway:BackfillSlices"] = "1",
            },
        });

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    public NodeDb Db(string province) => new(Cluster[province].ConnectionString);
}

[CollectionDefinition(Name)]
public sealed class BackfillCollection : ICollectionFixture<BackfillClusterFixture>
{
    public const string Name = "three nodes as processes, backfill";
}

/// <summary>
/// A node whose database and Redis are wiped holds nothing, and its consumer group's offsets are past every envelope it
/// ever received, so the broker cannot give the records back. Backfill must fetch every record it should hold from the
/// owners' stores of record, and the result must equal the owners' state exactly, also when the node is killed mid-run.
/// </summary>
[Collection(BackfillCollection.Name)]
public sealed class BackfillTests(BackfillClusterFixture fx)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static int _sequence;

    [Fact]
    public async Task A_wiped_node_backfills_every_filing_and_enrolment_record_it_should_hold_and_nothing_else()
    {
        await SyncRecordsAsync(filingsFromInner: 240, filingsFromBeijing: 30, enrolments: 60);
        var expected = await ExpectedAtSichuanAsync();

        await WipeSichuanAsync();
        await fx.Cluster[BackfillClusterFixture.Sichuan].StartAsync();
        await WaitForBackfillAsync();

        Assert.Equal(expected, await HeldAtSichuanAsync());
        await AssertProgressAsync(expected);
    }

    [Fact]
    public async Task A_node_killed_in_the_middle_of_its_backfill_resumes_and_ends_with_exactly_the_owners_state()
    {
        await SyncRecordsAsync(filingsFromInner: 320, filingsFromBeijing: 40, enrolments: 80);
        var expected = await ExpectedAtSichuanAsync();

        await WipeSichuanAsync();
        var sichuan = fx.Cluster[BackfillClusterFixture.Sichuan];
        // The run starts while the node starts: watch its pages from the first moment, not from when it answers health.
        var starting = sichuan.StartAsync();
        await WaitUntilAsync(async () => await FilingPagesFromInnerAsync() >= 2, "two pages of 15's filings applied before the kill", poll: 20);
        await starting;
        Assert.True(await NotDoneAsync() > 0, "the run ended before the kill; give it more pages");
        await sichuan.KillAsync();
        await sichuan.StartAsync();
        await WaitForBackfillAsync();

        Assert.Equal(expected, await HeldAtSichuanAsync());
        await AssertProgressAsync(expected);
        // Still exactly one run: the restart found its database (migrations already applied), so it resumed, not restarted.
        Assert.Equal(1, await fx.Db(BackfillClusterFixture.Sichuan).CountAsync("SELECT count(*) FROM backfill_runs"));
    }

    /// <summary>
    /// Filings from two owners for care in 51 (some changed, some terminated, some moved on to 11, which 51 must not hold
    /// after the backfill), filings for care in 11 only, and enrolment records of persons indexed at 51 — all synced live first.
    /// </summary>
    private async Task SyncRecordsAsync(int filingsFromInner, int filingsFromBeijing, int enrolments)
    {
        var inner = Filings(BackfillClusterFixture.Inner);
        var created = await CreateManyAsync(inner, Enumerable.Range(0, filingsFromInner).Select(i =>
            NewFiling("150102", i % 10 == 0 ? BackfillClusterFixture.Beijing : BackfillClusterFixture.Sichuan)));
        await CreateManyAsync(Filings(BackfillClusterFixture.Beijing), Enumerable.Range(0, filingsFromBeijing).Select(_ =>
            NewFiling("110101", BackfillClusterFixture.Sichuan)));

        var inSichuan = created.Where(f => f.Filing.DestinationProvince == BackfillClusterFixture.Sichuan).ToList();
        foreach (var view in inSichuan.Take(20))
            await inner.SuspendFilingAsync(new SuspendFilingRequest { FilingId = view.Filing.FilingId, ExpectedVersion = view.Version, Reason = "in hospital at home" }, TransferDriver.Key());
        foreach (var view in inSichuan.Skip(20).Take(10))
            await inner.TerminateFilingAsync(new TerminateFilingRequest { FilingId = view.Filing.FilingId, ExpectedVersion = view.Version, Reason = "moved back" }, TransferDriver.Key());
        foreach (var view in inSichuan.Skip(30).Take(10))
        {
            var moved = view.Filing.Clone();
            moved.DestinationProvince = BackfillClusterFixture.Beijing;
            moved.DestinationCity = "";
            moved.DestinationCounty = "";
            moved.CareAddress = "北京市东城区某街3号";
            await inner.ChangeFilingAsync(new ChangeFilingRequest { Filing = moved, ExpectedVersion = view.Version }, TransferDriver.Key());
        }

        var enrolment = new EnrolmentService.EnrolmentServiceClient(fx.Cluster[BackfillClusterFixture.Inner].Channel);
        for (var i = 0; i < enrolments; i++)
        {
            var n = Interlocked.Increment(ref _sequence);
            // Born in Chengdu (51 prefix: indexed at 51), insured in Hohhot (owned by 15).
            var certno = IdentityNumbers.Compose("510104", new DateOnly(1970, 1, 1).AddDays(n * 53 % 9000), 100 + n % 800);
            await enrolment.PublishEnrolmentAsync(new PublishEnrolmentRequest
            {
                Record = new EnrolmentRecord
                {
                    RecordId = $"E15-{n}-{Guid.NewGuid():N}"[..24], Person = new PersonRef { PsnCertType = "01", Certno = certno },
                    InsuplcAdmdvs = "150102", Insutype = Proto.InsuranceType.Employee, Status = Proto.EnrolmentStatus.Active,
                    PaidFrom = "2020-01", PaidTo = "2026-10", Basis = EnrolmentBasis.Standard, CurrentEmployment = true,
                },
            }, TransferDriver.Key());
        }

        // Everything live-synced before the wipe: what 51 holds now is what the owners say it should hold.
        var expected = await ExpectedAtSichuanAsync();
        await WaitUntilAsync(async () => (await HeldAtSichuanAsync()).SetEquals(expected), "51 to hold every live-synced record");
    }

    /// <summary>What 51 should hold, from the owners' own tables: (kind, owner, id, version, status).</summary>
    private async Task<HashSet<string>> ExpectedAtSichuanAsync()
    {
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var owner in new[] { BackfillClusterFixture.Inner, BackfillClusterFixture.Beijing })
        {
            expected.UnionWith(await fx.Db(owner).QueryAsync(
                "SELECT owner_province, filing_id, version, status FROM filings WHERE owner_province = @o AND destination_province = '51' AND NOT removed",
                r => $"filing {r.GetString(0)} {r.GetString(1)} v{r.GetInt64(2)} {r.GetString(3)}", ("o", owner)));
            expected.UnionWith(await fx.Db(owner).QueryAsync(
                "SELECT owner_province, record_id, version, status FROM enrolment_records WHERE owner_province = @o AND index_province = '51'",
                r => $"enrolment {r.GetString(0)} {r.GetString(1)} v{r.GetInt64(2)} {r.GetInt32(3)}", ("o", owner)));
        }
        return expected;
    }

    /// <summary>What 51 holds for others: filings for care there (tombstones excluded) and the records it indexes.</summary>
    private async Task<HashSet<string>> HeldAtSichuanAsync()
    {
        var db = fx.Db(BackfillClusterFixture.Sichuan);
        var held = new HashSet<string>(StringComparer.Ordinal);
        held.UnionWith(await db.QueryAsync(
            "SELECT owner_province, filing_id, version, status FROM filings WHERE owner_province <> '51' AND destination_province = '51' AND NOT removed",
            r => $"filing {r.GetString(0)} {r.GetString(1)} v{r.GetInt64(2)} {r.GetString(3)}"));
        held.UnionWith(await db.QueryAsync(
            "SELECT owner_province, record_id, version, status FROM enrolment_records WHERE owner_province <> '51'",
            r => $"enrolment {r.GetString(0)} {r.GetString(1)} v{r.GetInt64(2)} {r.GetInt32(3)}"));
        return held;
    }

    private async Task WipeSichuanAsync()
    {
        var sichuan = fx.Cluster[BackfillClusterFixture.Sichuan];
        await sichuan.KillAsync();
        await using (var conn = new Npgsql.NpgsqlConnection(sichuan.ConnectionString))
        {
            await conn.OpenAsync();
            await using var wipe = new Npgsql.NpgsqlCommand("DROP SCHEMA public CASCADE; CREATE SCHEMA public;", conn);
            await wipe.ExecuteNonQueryAsync();
        }
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"{fx.Cluster.Redis!.Endpoint},allowAdmin=true");
        await redis.GetServers().Single().FlushAllDatabasesAsync();
    }

    private async Task WaitForBackfillAsync() =>
        await WaitUntilAsync(async () => await RunsAsync() == 1 && await NotDoneAsync() == 0, "51's backfill run to finish");

    private Task<long> RunsAsync() => fx.Db(BackfillClusterFixture.Sichuan).CountAsync("SELECT count(*) FROM backfill_runs");

    private Task<long> NotDoneAsync() => fx.Db(BackfillClusterFixture.Sichuan).CountAsync("SELECT count(*) FROM backfill_progress WHERE NOT done");

    private async Task<long> FilingPagesFromInnerAsync()
    {
        try
        {
            return await fx.Db(BackfillClusterFixture.Sichuan).CountAsync(
                "SELECT COALESCE(sum(pages), 0) FROM backfill_progress WHERE owner_province = '15' AND kind = 'filing'");
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == "42P01")
        {
            return 0; // the restarted node has not applied its migrations yet
        }
    }

    /// <summary>The run's report, through the API: every owner and kind done, and every record received was applied once.</summary>
    private async Task AssertProgressAsync(HashSet<string> expected)
    {
        var client = new BackfillService.BackfillServiceClient(fx.Cluster[BackfillClusterFixture.Sichuan].Channel);
        var run = Assert.Single((await client.ListBackfillsAsync(new ListBackfillsRequest())).Runs);
        Assert.True(run.Done);
        Assert.Equal(new[] { "11 enrolment", "11 filing", "15 enrolment", "15 filing" },
            run.Progress.Select(p => $"{p.OwnerProvince} {p.Kind}").Order(StringComparer.Ordinal));
        Assert.All(run.Progress, p => Assert.Equal("done", p.State));
        // The owners send exactly what 51 should hold. A record a re-send of a live envelope brought back first is
        // received but not applied again (same version), so applied may be a little lower.
        Assert.Equal(expected.Count, run.RecordsReceived);
        Assert.InRange(run.RecordsApplied, 1, run.RecordsReceived);
        Assert.True(run.Progress.Single(p => p.OwnerProvince == "15" && p.Kind == "filing").Pages > 10, "pages of 5 records");
        var again = await client.GetBackfillAsync(new GetBackfillRequest { RunId = run.RunId });
        Assert.Equal(run.RecordsApplied, again.RecordsApplied);
    }

    private FilingService.FilingServiceClient Filings(string province) => new(fx.Cluster[province].Channel);

    private static async Task<List<FilingView>> CreateManyAsync(FilingService.FilingServiceClient client, IEnumerable<Filing> filings)
    {
        var created = new List<FilingView>();
        foreach (var chunk in filings.Chunk(8))
            created.AddRange(await Task.WhenAll(chunk.Select(f =>
                client.CreateFilingAsync(new CreateFilingRequest { Filing = f }, TransferDriver.Key()).ResponseAsync)));
        return created;
    }

    /// <summary>A valid filing of a fresh person insured in <paramref name="insuredRegion"/> for care in <paramref name="destination"/>.</summary>
    private static Filing NewFiling(string insuredRegion, string destination)
    {
        var n = Interlocked.Increment(ref _sequence);
        var certno = IdentityNumbers.Compose(insuredRegion, new DateOnly(1960, 1, 1).AddDays(n * 37 % 9000), 100 + n % 800);
        var today = TransferDriver.Today;
        var sichuan = destination == BackfillClusterFixture.Sichuan;
        return new Filing
        {
            FilingId = $"F{insuredRegion[..2]}-{n}-{Guid.NewGuid():N}"[..24],
            FiledOn = today.ToString("yyyy-MM-dd"),
            Person = new Proto.Person
            {
                PsnName = "测试人", PsnCertType = "01", Certno = certno, Phone = "13800000000",
                Gend = (certno[16] - '0') % 2 == 1 ? Proto.Gender.Male : Proto.Gender.Female,
            },
            Insutype = Proto.InsuranceType.Employee,
            Category = FilingCategory.LongTermResident,
            InsuplcAdmdvs = insuredRegion,
            DestinationProvince = destination,
            DestinationCity = sichuan ? "510600" : "",
            DestinationCounty = sichuan ? "510603" : "",
            InsuredAddress = "户籍地某街1号",
            CareAddress = sichuan ? "四川省德阳市旌阳区某路2号" : "北京市东城区某街3号",
            ValidFrom = today.ToString("yyyy-MM-dd"),
            ValidTo = today.AddYears(1).ToString("yyyy-MM-dd"),
        };
    }

    private async Task WaitUntilAsync(Func<Task<bool>> probe, string what, int poll = 200)
    {
        var until = DateTime.UtcNow + Timeout;
        while (!await probe())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"Waited {Timeout.TotalSeconds:0} s for {what}. {await DiagnosisAsync()}");
            await Task.Delay(poll);
        }
    }

    /// <summary>What a failed wait leaves to read: progress, the backfill envelopes' outbox rows, dead letters.</summary>
    private async Task<string> DiagnosisAsync()
    {
        var lines = new List<string>();
        try
        {
            lines.AddRange(await fx.Db(BackfillClusterFixture.Sichuan).QueryAsync(
                "SELECT run_id, owner_province, kind, pages, records_received, done FROM backfill_progress",
                r => $"progress {r.GetString(0)} {r.GetString(1)} {r.GetString(2)} pages {r.GetInt64(3)} records {r.GetInt64(4)} done {r.GetBoolean(5)}"));
            foreach (var p in new[] { BackfillClusterFixture.Inner, BackfillClusterFixture.Sichuan, BackfillClusterFixture.Beijing })
            {
                lines.AddRange(await fx.Db(p).QueryAsync(
                    "SELECT message_type, receiver, status, attempts, COALESCE(last_error, '') FROM outbox WHERE message_type LIKE 'Backfill%' ORDER BY id DESC LIMIT 6",
                    r => $"{p} outbox {r.GetString(0)} → {r.GetString(1)} {r.GetString(2)} attempts {r.GetInt32(3)} {r.GetString(4)}"));
                lines.AddRange(await fx.Db(p).QueryAsync("SELECT reason FROM dead_letters ORDER BY id DESC LIMIT 3", r => $"{p} dead letter: {r.GetString(0)}"));
            }
        }
        catch (Exception ex) { lines.Add($"(diagnosis failed: {ex.Message})"); }
        return string.Join(" | ", lines);
    }
}
