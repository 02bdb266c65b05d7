using System.Diagnostics;
using System.Text;
using Gateway.EmbeddedBroker;
using Gateway.LocalServers;
using Gateway.Messaging;

namespace Gateway.Deploy.Tests;

/// <summary>
/// The node as node.Dockerfile builds and runs it: published by the Dockerfile's own command, started by its ENTRYPOINT
/// in the publish folder with the image's ENV, configured the way compose configures it (Gateway__* environment
/// variables, TLS on) with the certificates, signing key and directory deploy/compose/gen-certs.sh makes, against a
/// private PostgreSQL and the embedded broker (the one part that is not compose's).
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
    /// <summary>What gen-certs.sh wrote (its secrets folder) and its .env file.</summary>
    public string Secrets => Path.Combine(_root, "secrets");
    public string EnvFile => Path.Combine(_root, ".env");
    public string SecretFile(string name) => Path.Combine(Secrets, name);
    public int Port { get; } = FreePort.Find();
    public Uri Address => new($"https://127.0.0.1:{Port}");
    public Dictionary<string, string> NodeEnvironment { get; private set; } = [];
    public StringBuilder NodeLog { get; } = new();

    public async Task InitializeAsync()
    {
        var (code, output) = Published.Run("bash", [Repo.PathOf("deploy/compose/gen-certs.sh"), Secrets], Repo.Root,
            new Dictionary<string, string> { ["ENV_FILE"] = EnvFile }, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, "gen-certs.sh failed:\n" + output);
        Published.Publish(NodeDockerfile, NodeFolder);
        _broker = EmbeddedKafkaBroker.Start(new EmbeddedBrokerOptions
        {
            Topics = [new TopicSpec(TopicNames.Inbox(Province), 2), new TopicSpec(TopicNames.DeadLetter(Province), 1),
                new TopicSpec(TopicNames.Inbox("51"), 2), new TopicSpec(TopicNames.DeadLetter("51"), 1)],
        });
        _postgres = await PostgresServer.StartAsync();
        NodeEnvironment = Published.ImageEnvironment(NodeDockerfile, Port);
        foreach (var (k, v) in new Dictionary<string, string>
                 {
                     ["Gateway__Province"] = Province,
                     ["ConnectionStrings__Node"] = await _postgres.CreateDatabaseAsync($"node_{Province}") + ";Maximum Pool Size=20",
                     ["Kafka__BootstrapServers"] = _broker.BootstrapServers,
                     ["Kafka__EmbeddedBroker"] = "true",
                     ["Gateway__ExchangeProvinces"] = $"{Province},51",
                     ["Gateway__BackfillOnNewDatabase"] = "false",
                     ["Gateway__DirectoryPath"] = SecretFile("directory"),
                     ["Gateway__Signing__PrivateKeyPath"] = SecretFile($"sign-{Province}.pem"),
                     ["Gateway__Tls__Certificate"] = SecretFile($"node-{Province}.pem"),
                     ["Gateway__Tls__Key"] = SecretFile($"node-{Province}.key"),
                     ["Gateway__Tls__ClientCa"] = SecretFile("ca.pem"),
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
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
