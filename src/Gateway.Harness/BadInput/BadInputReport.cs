using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Harness.BadInput;

/// <summary>One input the node answered in a way it must not, with what was sent.</summary>
public sealed record BadInputViolation(string Call, string Category, string Input, string Problem);

/// <summary>What a bad-input run tried, what came back, and whether anything broke.</summary>
public sealed class BadInputReport
{
    public int Seed { get; init; }
    public IReadOnlyList<string> Provinces { get; init; } = [];
    public TimeSpan Elapsed { get; set; }

    /// <summary>gRPC requests sent (each counted once, however often NODE_BUSY made it retry).</summary>
    public int RequestsTried { get; set; }
    public SortedDictionary<string, int> RequestsByCall { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, int> RequestsByCategory { get; } = new(StringComparer.Ordinal);

    /// <summary>Final status of every request (code, and the ErrorInfo reason where there is one).</summary>
    public SortedDictionary<string, int> Statuses { get; } = new(StringComparer.Ordinal);
    public int BusyRetries { get; set; }

    public int EnvelopesTried { get; set; }
    public SortedDictionary<string, int> EnvelopesByCategory { get; } = new(StringComparer.Ordinal);

    /// <summary>dead-lettered, ignored as a duplicate, or one of the failures (not dead-lettered, replay dead-lettered).</summary>
    public SortedDictionary<string, int> EnvelopeOutcomes { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, int> DeadLetterReasons { get; } = new(StringComparer.Ordinal);

    public int ViolationCount { get; set; }
    public List<BadInputViolation> Violations { get; } = [];

    /// <summary>A node that stopped serving or whose process exited during the run.</summary>
    public List<string> Crashes { get; } = [];

    public bool StateChanged { get; set; }

    /// <summary>Each business table whose digest differs: "province/table: before → after".</summary>
    public List<string> StateDifferences { get; } = [];

    /// <summary>No violation, no crash, no state change; and every request and envelope accounted for.</summary>
    public bool Passed => ViolationCount == 0 && Crashes.Count == 0 && !StateChanged;

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>A plain-text summary for a console.</summary>
    public string ToText()
    {
        var s = new StringBuilder();
        s.AppendLine($"Bad-input run, seed {Seed}, provinces {string.Join(",", Provinces)}: {(Passed ? "PASSED" : "FAILED")} in {Elapsed.TotalSeconds:0.0} s");
        s.AppendLine($"  requests {RequestsTried} (NODE_BUSY retries {BusyRetries}), envelopes {EnvelopesTried}");
        s.AppendLine($"  violations {ViolationCount}, crashes {Crashes.Count}, state changed {(StateChanged ? "YES" : "no")}");
        Section(s, "requests by call", RequestsByCall);
        Section(s, "requests by category", RequestsByCategory);
        Section(s, "statuses", Statuses);
        Section(s, "envelopes by category", EnvelopesByCategory);
        Section(s, "envelope outcomes", EnvelopeOutcomes);
        Section(s, "dead-letter reasons", DeadLetterReasons);
        if (Crashes.Count > 0) { s.AppendLine("  crashes:"); foreach (var c in Crashes) s.AppendLine($"    {c}"); }
        if (StateDifferences.Count > 0) { s.AppendLine("  state differences:"); foreach (var d in StateDifferences) s.AppendLine($"    {d}"); }
        if (Violations.Count > 0)
        {
            s.AppendLine($"  first {Violations.Count} violations:");
            foreach (var v in Violations) s.AppendLine($"    {v.Call} [{v.Category}] {v.Input} => {v.Problem}");
        }
        return s.ToString();
    }

    private static void Section(StringBuilder s, string title, IReadOnlyDictionary<string, int> counts)
    {
        if (counts.Count == 0) return;
        s.AppendLine($"  {title}:");
        var width = counts.Keys.Max(k => k.Length);
        foreach (var (k, v) in counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal))
            s.AppendLine($"    {k.PadRight(width)}  {v,7}");
    }

    internal void Add(SortedDictionary<string, int> counts, string key, int by = 1)
    {
        lock (this) counts[key] = counts.GetValueOrDefault(key) + by;
    }

    internal void Violation(BadInputViolation v, int keep)
    {
        lock (this)
        {
            ViolationCount++;
            if (Violations.Count < keep) Violations.Add(v);
        }
    }
}
