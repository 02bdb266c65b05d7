using System.Reflection;
using System.Text.Json.Nodes;
using Gateway.Node;
using Gateway.Ops.Console;

namespace Gateway.Deploy.Tests;

/// <summary>
/// Every setting deploy/ names for the node or the console, where it names it: the compose services' environment, the
/// Kubernetes ConfigMaps and Secrets the node's pods take as environment (envFrom) and their env entries, and the
/// example appsettings file. Environment names are configuration keys with "__" for ":".
/// </summary>
public static class SettingNames
{
    public sealed record Use(string File, string Name, string Key);

    public sealed record Problem(string File, string Name, string Why)
    {
        public override string ToString() => $"{File}: {Name} {Why}";
    }

    /// <summary>The console's keys, from its options class (section "Console").</summary>
    public static IReadOnlyList<string> ConsoleNames { get; } = typeof(ConsoleSettings)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite)
        .Select(p => $"{ConsoleSettings.Section}:{p.Name}").ToList();

    public static IEnumerable<Use> InDeploy()
    {
        foreach (var use in InCompose(Repo.PathOf("deploy/compose/compose.yaml"))) yield return use;
        foreach (var file in YamlFiles.All.Where(f => f.StartsWith(Path.Combine(Repo.Deploy, "k8s"), StringComparison.Ordinal)))
            foreach (var use in InKubernetes(file)) yield return use;
        var example = Repo.PathOf("deploy/node.appsettings.example.json");
        foreach (var key in Flatten(JsonNode.Parse(File.ReadAllText(example)), ""))
            yield return new Use(Repo.Relative(example), key, key);
    }

    /// <summary>
    /// What the checker finds wrong: a key in one of the node's own sections (Gateway, Kafka, Redis, ConnectionStrings)
    /// that the node does not read, or a Console key the console does not read. Other images' variables (KAFKA_*,
    /// POSTGRES_*) and the host's own (ASPNETCORE_*, Kestrel, Logging) are not the node's to check.
    /// </summary>
    public static List<Problem> Check(IEnumerable<Use> uses, IReadOnlyList<string> nodeNames, IReadOnlyList<string> consoleNames)
    {
        var problems = new List<Problem>();
        foreach (var use in uses)
        {
            var section = use.Key.Split(':')[0];
            if (NodeSettings.OwnSections.Contains(section, StringComparer.OrdinalIgnoreCase))
            {
                if (!NodeSettings.Reads(use.Key, nodeNames))
                    problems.Add(new Problem(use.File, use.Name, $"is not a setting the node reads ({use.Key}; Gateway.Node.NodeSettings.Names)"));
            }
            else if (section.Equals(ConsoleSettings.Section, StringComparison.OrdinalIgnoreCase))
            {
                if (!consoleNames.Contains(use.Key, StringComparer.OrdinalIgnoreCase))
                    problems.Add(new Problem(use.File, use.Name, $"is not a setting the console reads ({use.Key}; ConsoleSettings)"));
            }
            else if (!NodeSettings.HostPrefixes.Any(p => use.Key.StartsWith(p, StringComparison.OrdinalIgnoreCase)) && use.Name.Contains("__", StringComparison.Ordinal))
                problems.Add(new Problem(use.File, use.Name, "names a section neither the node nor the console has"));
        }
        return problems;
    }

    private static IEnumerable<Use> InCompose(string path)
    {
        var compose = YamlFiles.Load(path).Single()!;
        foreach (var (name, service) in compose["services"]!.AsObject())
        {
            // Only our images: the brokers', PostgreSQL's and Redis's variables are theirs.
            var dockerfile = service?["build"]?["dockerfile"]?.GetValue<string>() ?? "";
            if (!dockerfile.StartsWith("deploy/docker/", StringComparison.Ordinal)) continue;
            foreach (var variable in EnvironmentNames(service!["environment"]))
                yield return new Use($"{Repo.Relative(path)} ({name})", variable, Key(variable));
        }
    }

    private static IEnumerable<Use> InKubernetes(string path)
    {
        var documents = YamlFiles.Load(path);
        foreach (var doc in documents)
        {
            var kind = doc?["kind"]?.GetValue<string>();
            if (kind is "ConfigMap" or "Secret" && doc!["metadata"]?["name"]?.GetValue<string>() is { } name && EnvFromNames.Contains(name))
                foreach (var field in new[] { "data", "stringData" })
                    foreach (var (variable, _) in doc[field]?.AsObject() ?? [])
                        yield return new Use($"{Repo.Relative(path)} ({kind} {name})", variable, Key(variable));
            foreach (var container in Containers(doc))
                foreach (var env in container["env"]?.AsArray() ?? [])
                    if (env?["name"]?.GetValue<string>() is { } variable)
                        yield return new Use($"{Repo.Relative(path)} (env)", variable, Key(variable));
        }
    }

    /// <summary>ConfigMaps and Secrets the node's containers take whole as environment (envFrom), in every manifest.</summary>
    private static HashSet<string> EnvFromNames { get; } = YamlFiles.All
        .Where(f => f.StartsWith(Path.Combine(Repo.Deploy, "k8s"), StringComparison.Ordinal))
        .SelectMany(YamlFiles.Load).SelectMany(Containers)
        .SelectMany(c => c["envFrom"]?.AsArray() ?? [])
        .Select(e => (e?["configMapRef"] ?? e?["secretRef"])?["name"]?.GetValue<string>()).OfType<string>().ToHashSet();

    private static IEnumerable<JsonNode> Containers(JsonNode? doc) =>
        (doc?["spec"]?["template"]?["spec"]?["containers"]?.AsArray() ?? []).OfType<JsonNode>();

    private static IEnumerable<string> EnvironmentNames(JsonNode? environment) => environment switch
    {
        JsonObject map => map.Select(kv => kv.Key),
        JsonArray list => list.Select(e => e!.GetValue<string>().Split('=')[0]),
        _ => [],
    };

    public static string Key(string variable) => variable.Replace("__", ":", StringComparison.Ordinal);

    private static IEnumerable<string> Flatten(JsonNode? node, string prefix) => node switch
    {
        JsonObject o => o.SelectMany(kv => Flatten(kv.Value, prefix.Length == 0 ? kv.Key : $"{prefix}:{kv.Key}")),
        JsonArray a => a.SelectMany((v, i) => Flatten(v, $"{prefix}:{i}")),
        _ => [prefix],
    };
}
