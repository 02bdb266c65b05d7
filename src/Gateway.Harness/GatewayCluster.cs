using Gateway.EmbeddedBroker;
using Gateway.LocalServers;
using Gateway.Messaging;
using Gateway.ProvinceSimulator;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Harness;

/// <summary>
/// A whole local exchange: the embedded Kafka-protocol broker, one private PostgreSQL server with a
/// database per node, a private redis-server, and one node plus simulated province system per province.
/// Everything listens on free loopback ports and is stopped on dispose.
/// </summary>
public sealed class GatewayCluster : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    private GatewayCluster(ClusterOptions options, EmbeddedKafkaBroker broker, PostgresServer postgres, RedisServer? redis, ClusterKeys keys, ClusterTls? tls)
    {
        Keys = keys;
        Tls = tls;
        Options = options;
        Broker = broker;
        Postgres = postgres;
        Redis = redis;
    }

    public ClusterOptions Options { get; }
    public EmbeddedKafkaBroker Broker { get; }
    public PostgresServer Postgres { get; }
    public RedisServer? Redis { get; }

    /// <summary>The run's province directory and each node's signing key (generated at start, deleted on dispose).</summary>
    public ClusterKeys Keys { get; }

    /// <summary>The run's private CA and certificates when <see cref="ClusterOptions.Tls"/> (null: h2c on loopback).</summary>
    public ClusterTls? Tls { get; }
    public Dictionary<string, ProvinceNode> Nodes { get; } = new(StringComparer.Ordinal);
    public string? RedisFallbackNote { get; private set; }

    public ProvinceNode this[string province] => Nodes[province];

    public static async Task<GatewayCluster> StartAsync(ClusterOptions? options = null, ILoggerFactory? loggerFactory = null, CancellationToken ct = default)
    {
        options ??= new ClusterOptions();
        loggerFactory ??= NullLoggerFactory.Instance;
        var log = loggerFactory.CreateLogger<GatewayCluster>();

        var broker = EmbeddedKafkaBroker.Start(new EmbeddedBrokerOptions
        {
            BrokerCount = options.BrokerCount,
            Topics = options.Provinces.SelectMany(p => new[]
            {
                new TopicSpec(TopicNames.Inbox(p), options.InboxPartitions),
                new TopicSpec(TopicNames.DeadLetter(p), 1),
            }).ToList(),
        });
        PostgresServer? postgres = null;
        RedisServer? redis = null;
        // Fresh keys each run, so the demo and the tests need no configuration and no secret is committed.
        var keys = ClusterKeys.Create(options.Provinces.Concat(options.DirectoryOnlyProvinces).Distinct(), options.SignatureAlgorithm);
        var tls = options.Tls ? ClusterTls.Create() : null;
        string? redisNote = null;
        try
        {
            postgres = await PostgresServer.StartAsync(ct);
            if (options.UseRedis && options.RedisEndpoint is not null) { /* an existing server: nothing to start */ }
            else if (options.UseRedis)
            {
                if (RedisServer.IsAvailable()) redis = await RedisServer.StartAsync(ct);
                else redisNote = "redis-server is not installed: the nodes use the IN-MEMORY idempotency fast path (PostgreSQL still holds every key).";
            }
            else redisNote = "Redis disabled: the nodes use the IN-MEMORY idempotency fast path (PostgreSQL still holds every key).";

            var cluster = new GatewayCluster(options, broker, postgres, redis, keys, tls) { RedisFallbackNote = redisNote };
            foreach (var province in options.Provinces)
            {
                // All nodes share one local server (100 connections): keep each pool well below its share.
                var connectionString = await postgres.CreateDatabaseAsync($"node_{province}", ct) + ";Maximum Pool Size=30";
                var port = FreePort.Find();
                var args = NodeArguments(options, province, port, connectionString, broker.BootstrapServers,
                    redis?.Endpoint ?? (options.UseRedis ? options.RedisEndpoint : null), keys, tls);
                var registry = SyntheticRegistry.Create(province, options.PeoplePerProvince, options.Seed + int.Parse(province));
                var node = new ProvinceNode(province, port, connectionString, args, options.NodesAsProcesses, registry,
                    options.Clocks.GetValueOrDefault(province), tls?.Client(Gateway.Node.Grpc.CallerRole.System, province), options.NodeLogs);
                cluster.Nodes[province] = node;
                cluster._owned.Add(node);
                await node.StartAsync(ct);
                if (options.StartSimulators && !options.ExternalSystems.Contains(province))
                {
                    node.Simulator = new SimulatedProvinceSystem(province, node.Channel, registry,
                        loggerFactory.CreateLogger<SimulatedProvinceSystem>());
                    await node.Simulator.StartAsync(ct);
                }
                log.LogInformation("Node {Province} listening on {Address}", province, node.Address);
            }
            return cluster;
        }
        catch
        {
            if (redis is not null) await redis.DisposeAsync();
            if (postgres is not null) await postgres.DisposeAsync();
            broker.Dispose();
            keys.Dispose();
            tls?.Dispose();
            throw;
        }
    }

    private static string[] NodeArguments(ClusterOptions options, string province, int port, string connectionString, string bootstrap, string? redisEndpoint,
        ClusterKeys keys, ClusterTls? tls)
    {
        var settings = new Dictionary<string, string>
        {
            ["urls"] = $"{(tls is null ? "http" : "https")}://127.0.0.1:{port}",
            ["Gateway:Province"] = province,
            ["ConnectionStrings:Node"] = connectionString,
            ["Kafka:BootstrapServers"] = bootstrap,
            ["Kafka:EmbeddedBroker"] = "true",
            ["Kafka:ClientId"] = $"gateway-node-{province}",
            ["Redis:Configuration"] = redisEndpoint ?? "",
            // The cluster is the whole exchange: index provinces and backfill owners come from these members.
            ["Gateway:ExchangeProvinces"] = string.Join(",", options.Provinces),
            ["Gateway:BackfillOnNewDatabase"] = options.BackfillOnNewDatabase ? "true" : "false",
            ["Gateway:DirectoryPath"] = keys.DirectoryPath,
            ["Gateway:Signing:PrivateKeyPath"] = keys.KeyPath(province),
            ["Logging:LogLevel:Default"] = options.NodeLogLevel,
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        };
        if (tls is not null)
        {
            var (certificate, key) = tls.IssueServer(province);
            settings["Gateway:Tls:Certificate"] = certificate;
            settings["Gateway:Tls:Key"] = key;
            settings["Gateway:Tls:ClientCa"] = tls.CaPath;
        }
        foreach (var (k, v) in options.NodeSettings) settings[k] = v;
        return settings.Select(kv => $"--{kv.Key}={kv.Value}").ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            try { await owned.DisposeAsync(); } catch { /* keep stopping the rest */ }
        }
        if (Redis is not null) await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
        Broker.Dispose();
        Keys.Dispose();
        Tls?.Dispose();
    }
}
