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

    private GatewayCluster(ClusterOptions options, EmbeddedKafkaBroker broker, NodeDatabases databases, RedisServer? redis, ClusterKeys keys, ClusterTls? tls,
        ClusterClock? clock)
    {
        Clock = clock;
        Keys = keys;
        Tls = tls;
        Options = options;
        Broker = broker;
        Databases = databases;
        Redis = redis;
    }

    public ClusterOptions Options { get; }
    public EmbeddedKafkaBroker Broker { get; }

    /// <summary>The node databases' server: the private one, or an existing one (<see cref="ClusterOptions.PostgresConnectionString"/>).</summary>
    public NodeDatabases Databases { get; }

    /// <summary>The private PostgreSQL server; an existing one is not the cluster's to restart or measure.</summary>
    public PostgresServer Postgres => Databases.Private
        ?? throw new InvalidOperationException("This cluster runs on an existing PostgreSQL server; it has no private one.");

    public RedisServer? Redis { get; }

    /// <summary>The cluster's shared clock when <see cref="ClusterOptions.ClockStart"/> is set (null: the system clock).</summary>
    public ClusterClock? Clock { get; }

    /// <summary>"Now" as the cluster's nodes see it.</summary>
    public TimeProvider Time => (TimeProvider?)Clock ?? TimeProvider.System;

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
        NodeDatabases? postgres = null;
        RedisServer? redis = null;
        var clock = options.ClockStart is { } startAt ? new ClusterClock(startAt) : null;
        // Fresh keys each run, so the demo and the tests need no configuration and no secret is committed.
        var keys = ClusterKeys.Create(options.Provinces.Concat(options.DirectoryOnlyProvinces).Distinct(), options.SignatureAlgorithm,
            clock?.GetUtcNow().AddDays(-1));
        var tls = options.Tls ? ClusterTls.Create() : null;
        string? redisNote = null;
        GatewayCluster? cluster = null;
        try
        {
            // One local server for every node: room for each node's pool (the harness's 32 provinces too) and a few more.
            postgres = options.PostgresConnectionString is { } existing
                ? await NodeDatabases.OnExistingServerAsync(existing, ct)
                : await NodeDatabases.StartPrivateAsync(Math.Max(100, (options.Provinces.Count + 2) * (PoolSize(options) + 4) + 20), ct);
            if (options.UseRedis && options.RedisEndpoint is not null) { /* an existing server: nothing to start */ }
            else if (options.UseRedis)
            {
                if (RedisServer.IsAvailable()) redis = await RedisServer.StartAsync(ct);
                else redisNote = "redis-server is not installed: the nodes use the IN-MEMORY idempotency fast path (PostgreSQL still holds every key).";
            }
            else redisNote = "Redis disabled: the nodes use the IN-MEMORY idempotency fast path (PostgreSQL still holds every key).";

            cluster = new GatewayCluster(options, broker, postgres, redis, keys, tls, clock) { RedisFallbackNote = redisNote, _log = log, _loggers = loggerFactory };
            foreach (var province in options.Provinces) await cluster.StartProvinceAsync(province, ct);
            return cluster;
        }
        catch
        {
            // Nodes already started (processes too) stop with the cluster that failed to come up.
            foreach (var owned in Enumerable.Reverse(cluster?._owned ?? []))
            {
                try { await owned.DisposeAsync(); } catch { /* keep stopping the rest */ }
            }
            if (redis is not null) await redis.DisposeAsync();
            if (postgres is not null) await postgres.DisposeAsync();
            broker.Dispose();
            keys.Dispose();
            tls?.Dispose();
            clock?.Dispose();
            throw;
        }
    }

    // All nodes share one local server: a few nodes get 30 connections each, a large cluster 12 (still ample for one node's load here).
    private static int PoolSize(ClusterOptions options) => options.Provinces.Count <= 4 ? 30 : 12;

    private ILogger _log = NullLogger.Instance;
    private ILoggerFactory _loggers = NullLoggerFactory.Instance;

    private async Task<ProvinceNode> StartProvinceAsync(string province, CancellationToken ct)
    {
        var connectionString = await Databases.CreateDatabaseAsync($"node_{province}", ct) + $";Maximum Pool Size={PoolSize(Options)}";
        var node = NewNode(province, connectionString, Registry(province));
        Nodes[province] = node;
        await node.StartAsync(ct);
        if (Options.StartSimulators && !Options.ExternalSystems.Contains(province))
        {
            node.Simulator = new SimulatedProvinceSystem(province, node.Channel, node.Registry, _loggers.CreateLogger<SimulatedProvinceSystem>(),
                new SimulatorOptions { TimeProvider = Time });
            await node.Simulator.StartAsync(ct);
        }
        _log.LogInformation("Node {Province} listening on {Address}", province, node.Address);
        return node;
    }

    private SyntheticRegistry Registry(string province) =>
        SyntheticRegistry.Create(province, Options.PeoplePerProvince, Options.Seed + int.Parse(province));

    private ProvinceNode NewNode(string province, string connectionString, SyntheticRegistry registry)
    {
        var port = FreePort.Find();
        var args = NodeArguments(Options, province, port, connectionString, Broker.BootstrapServers,
            Redis?.Endpoint ?? (Options.UseRedis ? Options.RedisEndpoint : null), Keys, Tls);
        var node = new ProvinceNode(province, port, connectionString, args, Options.NodesAsProcesses, registry,
            Clock ?? Options.Clocks.GetValueOrDefault(province), Tls?.Client(Gateway.Node.Grpc.CallerRole.System, province), Options.NodeLogs,
            Clock?.FilePath);
        _owned.Add(node);
        return node;
    }

    /// <summary>
    /// Onboards a province while the cluster runs, as an agency would: its inbox topics are created, its entry (code,
    /// topics, a fresh key) goes into the directory the running nodes watch, and its node and simulated system start.
    /// Nothing is restarted. List it in <see cref="ClusterOptions.ExchangeProvinces"/> from the start, as the all-32
    /// default of a real exchange does.
    /// </summary>
    public async Task<ProvinceNode> JoinAsync(string province, CancellationToken ct = default)
    {
        if (Nodes.ContainsKey(province)) throw new InvalidOperationException($"Province {province} already has a node.");
        CreateTopic(TopicNames.Inbox(province), Options.InboxPartitions);
        CreateTopic(TopicNames.DeadLetter(province), 1);
        Keys.AddProvince(province, Options.SignatureAlgorithm);
        return await StartProvinceAsync(province, ct);
    }

    // A topic a member already wrote to (broker auto-creation) is there already: that is fine.
    private void CreateTopic(string name, int partitions)
    {
        try { Broker.CreateTopic(name, partitions); }
        catch (EmbeddedBrokerException e) when (e.Code == Confluent.Kafka.ErrorCode.TopicAlreadyExists) { }
    }

    /// <summary>
    /// Another instance of a province's node on the same database, topics and key (a Deployment with two replicas). It
    /// shares the province's registry; the simulated system stays connected to the first instance.
    /// </summary>
    public async Task<ProvinceNode> StartInstanceAsync(string province, CancellationToken ct = default)
    {
        var first = Nodes[province];
        var node = NewNode(province, first.ConnectionString, first.Registry);
        await node.StartAsync(ct);
        return node;
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
            ["Gateway:ExchangeProvinces"] = string.Join(",", options.ExchangeProvinces ?? options.Provinces),
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
        await Databases.DisposeAsync();
        Broker.Dispose();
        Keys.Dispose();
        Tls?.Dispose();
        Clock?.Dispose();
    }
}
