using System.Diagnostics;
using System.Text;
using Gateway.EmbeddedBroker;
using Gateway.Harness;
using Gateway.LocalServers;
using Gateway.Messaging;
using Gateway.Messaging.Signing;

namespace Gateway.Deploy.Tests;

/// <summary>
/// The node as node.Dockerfile builds and runs it: published by the Dockerfile's own command, started by its ENTRYPOINT
/// in the publish folder with the image's ENV, configured the way compose and Kubernetes configure it (Gateway__*
/// environment variables, TLS on), against a private PostgreSQL and the embedded broker.
/// </summary>
public sealed class PublishedImageFixture : IAsyncLifetime
{
    public const string Province = "15";
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"gateway-deploy-{Guid.NewGuid():N}");
    private EmbeddedKafkaBroker? _broker;
    private PostgresServer? _postgres;
    private Process? _node;

    public Dockerfile NodeDockerfile { get; } = new(Repo.PathOf("deploy/docker/node.Dockerfile"));
    public Dockerfile ConsoleDockerfile { get; } = new(Repo.PathOf("deploy/docker/console.Dockerfile"));
    public string NodeFolder => Path.Combine(_root, "node");
    public ClusterKeys Keys { get; } = ClusterKeys.Create([Province, "51"], SignatureAlgorithms.Sm2Sm3);
    public ClusterTls Tls { get; } = ClusterTls.Create("deploy test CA");
    public int Port { get; } = FreePort.Find();
    public Uri Address => new($"https://127.0.0.1:{Port}");
    public Dictionary<string, string> NodeEnvironment { get; private set; } = [];
    public StringBuilder NodeLog { get; } = new();

    public async Task InitializeAsync()
    {
        Published.Publish(NodeDockerfile, NodeFolder);
        _broker = EmbeddedKafkaBroker.Start(new EmbeddedBrokerOptions
        {
            Topics = [new TopicSpec(TopicNames.Inbox(Province), 2), new TopicSpec(TopicNames.DeadLetter(Province), 1),
                new TopicSpec(TopicNames.Inbox("51"), 2), new TopicSpec(TopicNames.DeadLetter("51"), 1)],
        });
        _postgres = await PostgresServer.StartAsync();
        var (certificate, key) = Tls.IssueServer(Province);
        NodeEnvironment = Published.ImageEnvironment(NodeDockerfile, Port);
        foreach (var (k, v) in new Dictionary<string, string>
                 {
                     ["Gateway__Province"] = Province,
                     ["ConnectionStrings__Node"] = await _postgres.CreateDatabaseAsync($"node_{Province}") + ";Maximum Pool Size=20",
                     ["Kafka__BootstrapServers"] = _broker.BootstrapServers,
                     ["Kafka__EmbeddedBroker"] = "true",
                     ["Gateway__ExchangeProvinces"] = $"{Province},51",
                     ["Gateway__BackfillOnNewDatabase"] = "false",
                     ["Gateway__DirectoryPath"] = Keys.DirectoryPath,
                     ["Gateway__Signing__PrivateKeyPath"] = Keys.KeyPath(Province),
                     ["Gateway__Tls__Certificate"] = certificate,
                     ["Gateway__Tls__Key"] = key,
                     ["Gateway__Tls__ClientCa"] = Tls.CaPath,
                 })
            NodeEnvironment[k] = v;
        _node = Published.Start(NodeDockerfile.Final.Exec("ENTRYPOINT"), NodeFolder, NodeEnvironment, NodeLog);
    }

    public bool NodeExited => _node is { HasExited: true };

    public async Task DisposeAsync()
    {
        if (_node is not null) await Published.StopAsync(_node);
        _node?.Dispose();
        if (_postgres is not null) await _postgres.DisposeAsync();
        _broker?.Dispose();
        Keys.Dispose();
        Tls.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
