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

    /// <summary>
    /// The client side of a TLS node: --cert/--key/--ca, else the config file's "cert", "key", "ca" (paths). Null when
    /// none is set (h2c, or https trusting the system store without a client certificate).
    /// </summary>
    public static Gateway.Contracts.ClientTls? ResolveTls(Uri node, string? cert, string? key, string? ca, string? configPath, Func<string, string?> env)
    {
        var fromFile = ConfigStrings(configPath ?? DefaultConfigPath(env), configPath is not null);
        cert = cert is { Length: > 0 } ? cert : fromFile.GetValueOrDefault("cert");
        key = key is { Length: > 0 } ? key : fromFile.GetValueOrDefault("key");
        ca = ca is { Length: > 0 } ? ca : fromFile.GetValueOrDefault("ca");
        if (cert is null && key is null && ca is null) return null;
        if (node.Scheme != "https") throw new UsageException($"--cert, --cert-key and --ca are for a TLS node: use an https:// address, not {node}.");
        if (key is not null && cert is null) throw new UsageException("--cert-key needs --cert (the certificate the key belongs to).");
        foreach (var (name, path) in new[] { ("--cert", cert), ("--cert-key", key), ("--ca", ca) })
            if (path is not null && !File.Exists(path)) throw new UsageException($"{name} {path} does not exist.");
        try
        {
            return Gateway.Contracts.ClientTls.FromFiles(cert, key, ca);
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new UsageException($"The TLS files do not load ({ex.Message}): --cert must be a PEM certificate with its --cert-key (or a .p12), --ca a PEM CA certificate.");
        }
    }

    private static Dictionary<string, string> ConfigStrings(string path, bool explicitPath)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path)) return found;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return found;
            foreach (var name in new[] { "cert", "key", "ca" })
                if (doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } value)
                    found[name] = value;
        }
        catch (JsonException ex) when (explicitPath)
        {
            throw new UsageException($"The config file {path} is not JSON: {ex.Message}");
        }
        catch (JsonException)
        {
            // The default file is read for "node" too, which reports it.
        }
        return found;
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
