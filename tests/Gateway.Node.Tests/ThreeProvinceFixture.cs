using Confluent.Kafka;
using Gateway.Contracts.Sync.V1;
using Gateway.Harness;
using Gateway.Messaging;
using Gateway.ProvinceSimulator;
using Grpc.Core;
using Npgsql;
using Proto = Gateway.Contracts.Transfer.V1;

namespace Gateway.Node.Tests;

/// <summary>
/// Three province nodes for record sync: 15 内蒙古 (the owner of the filings below), 51 四川 and 11 北京 (provinces of
/// care). No province systems run, so every row that changes was changed by the test.
/// </summary>
public sealed class ThreeProvinceFixture : IAsyncLifetime
{
    public const string Owner = "15";
    public const string Sichuan = "51";
    public const string Beijing = "11";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static int _sequence;

    public GatewayCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = [Owner, Sichuan, Beijing], StartSimulators = false, PeoplePerProvince = 5,
            DirectoryOnlyProvinces = ["44"], // a listed stranger: its forgeries verify and reach the owner rules
        });

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    public FilingService.FilingServiceClient Filings(string province) => new(Cluster[province].Channel);

    public RecordWatchService.RecordWatchServiceClient Watch(string province) => new(Cluster[province].Channel);

    public static global::Grpc.Core.Metadata Key() => TransferDriver.Key();

    /// <summary>A valid filing of a fresh person insured in Hohhot (150102) for long-term residence in Deyang, Sichuan.</summary>
    public static Filing NewFiling()
    {
        var n = Interlocked.Increment(ref _sequence);
        var certno = IdentityNumbers.Compose("150102", new DateOnly(1960, 1, 1).AddDays(n * 37 % 9000), 100 + n % 800);
        return new Filing
        {
            FilingId = $"F15-{Guid.NewGuid():N}"[..24],
            FiledOn = Iso(TransferDriver.Today),
            Person = new Proto.Person
            {
                PsnName = "测试人", PsnCertType = "01", Certno = certno, Phone = "13800000000",
                Gend = int.Parse(certno[16].ToString()) % 2 == 1 ? Proto.Gender.Male : Proto.Gender.Female,
            },
            SecondPhone = "0471-7654321",
            Insutype = Proto.InsuranceType.Employee,
            Category = FilingCategory.LongTermResident,
            InsuplcAdmdvs = "150102",
            DestinationProvince = Sichuan,
            DestinationCity = "510600",
            DestinationCounty = "510603",
            InsuredAddress = "内蒙古呼和浩特市新城区某街1号",
            CareAddress = "四川省德阳市旌阳区某路2号",
            ValidFrom = Iso(TransferDriver.Today),
            ValidTo = Iso(TransferDriver.Today.AddYears(1)),
        };
    }

    public static string Iso(DateOnly d) => d.ToString("yyyy-MM-dd");

    /// <summary>Polls GetFiling at <paramref name="province"/> until the filing is there at <paramref name="version"/> (or later).</summary>
    public async Task<FilingView> WaitForAsync(string province, string filingId, long version)
    {
        FilingView? seen = null;
        await WaitUntilAsync(async () =>
        {
            try { seen = await Filings(province).GetFilingAsync(new GetFilingRequest { OwnerProvince = Owner, FilingId = filingId }); }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound) { return false; }
            return seen.Version >= version;
        }, $"filing {filingId} v{version} at {province}");
        return seen!;
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> probe, string what)
    {
        var until = DateTime.UtcNow + Timeout;
        while (!await probe())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"Waited {Timeout.TotalSeconds:0} s for {what}.");
            await Task.Delay(100);
        }
    }

    public Task<long> CountAsync(string province, string sql, params (string Name, object Value)[] parameters) =>
        NodeRows.CountAsync(Cluster[province].ConnectionString, sql, parameters);

    public async Task<List<T>> QueryAsync<T>(string province, string sql, Func<NpgsqlDataReader, T> map, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(Cluster[province].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync()) rows.Add(map(reader));
        return rows;
    }

    /// <summary>Writes a record onto a node's inbox topic behind the nodes' backs, as a hostile integrator with broker access could.</summary>
    public async Task ProduceAsync(string province, string key, byte[] value)
    {
        var options = KafkaOptions.ForEmbeddedBroker(Cluster.Broker.BootstrapServers, "filing-tests");
        using var producer = new ProducerBuilder<string, byte[]>(options.CreateProducerConfig()).Build();
        var result = await producer.ProduceAsync(TopicNames.Inbox(province), new Message<string, byte[]> { Key = key, Value = value });
        Assert.Equal(PersistenceStatus.Persisted, result.Status);
    }

    /// <summary>Rows of the owner node that any filing call would touch, as one comparable value.</summary>
    public async Task<string> OwnerFingerprintAsync()
    {
        await using var conn = new NpgsqlConnection(Cluster[Owner].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            SELECT concat_ws('/', (SELECT count(*) FROM filings), (SELECT coalesce(sum(version), 0) FROM filings),
                (SELECT count(*) FROM outbox), (SELECT count(*) FROM record_changes), (SELECT count(*) FROM idempotency_keys),
                (SELECT count(*) FROM dead_letters))
            """, conn);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }
}

[CollectionDefinition(Name)]
public sealed class ThreeProvinceCollection : ICollectionFixture<ThreeProvinceFixture>
{
    public const string Name = "three-province cluster";
}
