using Confluent.Kafka;
using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Values;
using Gateway.Harness;
using Gateway.Messaging;
using Grpc.Core;
using Npgsql;

namespace Gateway.Node.Tests;

/// <summary>
/// Three province nodes (15 内蒙古, 51 四川, 64 宁夏) with their simulated province systems, so a person's index province
/// can be a third node, the owner itself, or the other owner. The exchange is these three provinces.
/// </summary>
public sealed class EnrolmentClusterFixture : IAsyncLifetime
{
    public static readonly string[] Provinces = ["15", "51", "64"];

    public GatewayCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions { Provinces = Provinces, PeoplePerProvince = 5 });

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    public EnrolmentService.EnrolmentServiceClient Client(string province) => new(Cluster[province].Channel);

    private int _sequence = 100;

    /// <summary>A fresh valid resident identity number registered in <paramref name="region"/> (its first two digits pick the index).</summary>
    public string NewCitizen(string region)
    {
        var seq = Interlocked.Increment(ref _sequence);
        var body = $"{region}{new DateOnly(1980, 1, 1).AddDays(seq):yyyyMMdd}{seq % 1000:000}";
        return body + IdentityNumber.ComputeCheckCharacter(body);
    }

    public static PersonRef Person(string certno) => new() { PsnCertType = "01", Certno = certno };

    public async Task<object?> ScalarAsync(string province, string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(Cluster[province].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        var result = await cmd.ExecuteScalarAsync();
        return result is DBNull ? null : result;
    }

    public Task<long> CountAsync(string province, string sql, params (string Name, object Value)[] parameters) =>
        NodeRows.CountAsync(Cluster[province].ConnectionString, sql, parameters);

    /// <summary>Writes raw bytes onto a node's inbox with an ordinary producer, as a hostile party with broker access could.</summary>
    public async Task ProduceAsync(string province, string key, byte[] value)
    {
        var options = KafkaOptions.ForEmbeddedBroker(Cluster.Broker.BootstrapServers, "enrolment-tests");
        using var producer = new ProducerBuilder<string, byte[]>(options.CreateProducerConfig()).Build();
        var result = await producer.ProduceAsync(TopicNames.Inbox(province), new Message<string, byte[]> { Key = key, Value = value });
        Assert.Equal(PersistenceStatus.Persisted, result.Status);
    }

    /// <summary>Polls until <paramref name="probe"/> holds, or fails with what it saw last.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> probe, string what, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        T last;
        while (true)
        {
            try { last = await read(); }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && DateTime.UtcNow < until) { await Task.Delay(100); continue; }
            if (probe(last)) return last;
            if (DateTime.UtcNow > until) throw new TimeoutException($"{what} did not happen in time; last seen: {last}");
            await Task.Delay(100);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class EnrolmentClusterCollection : ICollectionFixture<EnrolmentClusterFixture>
{
    public const string Name = "three-province enrolment cluster";
}
