using System.Text.Json;

namespace Gateway.Ops.Cli;

/// <summary>Which node to talk to: --node, else $GATEWAY_OPS_NODE, else the config file's "node".</summary>
public static class NodeTarget
{
    public const string EnvironmentVariable = "GATEWAY_OPS_NODE";

    public static string DefaultConfigPath(Func<string, string?> env)
    {
        var home = env("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var configHome = env("XDG_CONFIG_HOME") is { Length: > 0 } x ? x : Path.Combine(home, ".config");
        return Path.Combine(configHome, "gateway-ops.json");
    }

    public static Uri Resolve(string? option, string? configPath, Func<string, string?> env)
    {
        var (value, source) = option is { Length: > 0 }
            ? (option, "--node")
            : env(EnvironmentVariable) is { Length: > 0 } fromEnv
                ? (fromEnv, "$" + EnvironmentVariable)
                : FromConfig(configPath, env);
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new UsageException($"The node address from {source} is not an http:// or https:// URL: '{value}'.");
        return uri;
    }

    private static (string, string) FromConfig(string? explicitPath, Func<string, string?> env)
    {
        var path = explicitPath ?? DefaultConfigPath(env);
        if (!File.Exists(path))
        {
            if (explicitPath is not null) throw new UsageException($"The config file {path} does not exist.");
            throw new UsageException($"No node given: pass --node http://host:port, set ${EnvironmentVariable}, or write {{\"node\": \"http://host:port\"}} to {path}.");
        }
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("node", out var node) && node.ValueKind == JsonValueKind.String
                && node.GetString() is { Length: > 0 } value)
                return (value, path);
        }
        catch (JsonException ex)
        {
            throw new UsageException($"The config file {path} is not JSON: {ex.Message}");
        }
        throw new UsageException($"The config file {path} has no \"node\" string.");
    }
}
