using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Gateway.Deploy.Tests;

/// <summary>The shipped schemas (Schemas/README.md says where each came from), loaded once into one registry.</summary>
public static partial class Schemas
{
    // Before any schema is read (a format keyword takes its format when it is parsed): Compose's "duration" is a Go
    // duration (1m30s, 5s), as compose-go checks it, not ISO 8601's P1D.
    private static readonly bool GoDurationRegistered = RegisterGoDuration();
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Schemas");
    private static readonly EvaluationOptions Options = new() { OutputFormat = OutputFormat.List };

    private static readonly Dictionary<string, JsonSchema> K8s = Directory.EnumerateFiles(Path.Combine(Folder, "k8s"), "*.json")
        .Where(f => !f.EndsWith("served.json", StringComparison.Ordinal))
        .ToDictionary(f => Path.GetFileName(f), f => JsonSchema.FromFile(f), StringComparer.Ordinal);

    static Schemas()
    {
        // One registry: a kind's schema finds definitions.json by its $id.
        foreach (var schema in K8s.Values) Options.SchemaRegistry.Register(schema);
    }

    /// <summary>
    /// The shipped file names its meta-schema as "http://json-schema.org/draft/2019-09/schema#"; the draft's own id is the
    /// https one without the fragment, so only that reference is corrected, in memory.
    /// </summary>
    public static JsonSchema Compose { get; } = JsonSchema.FromText(File.ReadAllText(Path.Combine(Folder, "compose-spec.json"))
        .Replace("\"http://json-schema.org/draft/2019-09/schema#\"", "\"https://json-schema.org/draft/2019-09/schema\"", StringComparison.Ordinal));

    public static JsonSchema Kustomization { get; } = JsonSchema.FromFile(Path.Combine(Folder, "kustomization.json"));

    /// <summary>"apiVersion/Kind" → schema file, for what Kubernetes serves.</summary>
    public static IReadOnlyDictionary<string, string> Served { get; } =
        JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path.Combine(Folder, "k8s", "served.json")))!;

    public static JsonSchema Kubernetes(string file) => K8s[file];

    /// <summary>Every error, with where in the document it is; empty when valid.</summary>
    public static List<string> Errors(JsonSchema schema, JsonNode? document)
    {
        var result = schema.Evaluate(document, Options);
        if (result.IsValid) return [];
        var errors = new List<string>();
        foreach (var detail in result.Details.Where(d => d.HasErrors))
            foreach (var (keyword, message) in detail.Errors!)
                errors.Add($"{detail.InstanceLocation} ({keyword}): {message}");
        // The branches of a oneOf that did not match report "type" errors; the one that explains the failure is usually not one.
        return errors.Count > 0 ? errors.OrderBy(e => e.Contains("(type)", StringComparison.Ordinal)).ToList() : ["invalid (no detail)"];
    }

    private static bool RegisterGoDuration()
    {
        Json.Schema.Formats.Register(new RegexFormat("duration", GoDuration()));
        return true;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")]
    private static partial System.Text.RegularExpressions.Regex GoDuration();
}
