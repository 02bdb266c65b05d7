using System.Collections;
using System.Reflection;
using Gateway.Messaging;
using Gateway.Messaging.Signing;
using Gateway.Node.Exchange;
using Gateway.Node.Idempotency;
using Gateway.Node.Infrastructure;
using Gateway.Node.Sync.Enrolment;

namespace Gateway.Node;

/// <summary>
/// Every configuration key the node reads, built from the options classes it binds and the constants of the keys it
/// reads one by one, so a renamed property or constant changes this list too. The deployment files are checked
/// against it (tests/Gateway.Deploy.Tests): a setting in deploy/ that the node no longer reads fails the build.
/// A new options class or ad hoc key is added here once.
/// </summary>
public static class NodeSettings
{
    /// <summary>Sections bound to an options class: every settable property is a key ("Section:Property").</summary>
    private static readonly (string Section, Type Options)[] Bound =
    [
        (NodeOptions.Section, typeof(NodeOptions)),
        (TlsOptions.Section, typeof(TlsOptions)),
        (SigningOptions.Section, typeof(SigningOptions)),
        (MessageLogOptions.Section, typeof(MessageLogOptions)),
        (KafkaOptions.SectionName, typeof(KafkaOptions)),
        (Telemetry.TelemetryOptions.Section, typeof(Telemetry.TelemetryOptions)),
    ];

    /// <summary>Keys read one by one (configuration["..."], GetValue, GetConnectionString).</summary>
    private static readonly string[] Single =
    [
        "ConnectionStrings:Node",
        "Redis:Configuration",
        IdempotencyCacheFactory.ResponseKeySetting,
        TlsOptions.AllowPlaintextSetting,
        SigningOptions.DirectoryPathSetting,
        ExchangeMembers.Setting,
        ExchangeMembers.Setting + ":*", // the array form: Gateway:ExchangeProvinces:0, :1, ...
        IndexReads.TimeoutSetting,
    ];

    /// <summary>
    /// Properties bound but overridden by a single key, so setting them under their section has no effect:
    /// Gateway:Tls:AllowPlaintext is read as Gateway:AllowPlaintext.
    /// </summary>
    private static readonly HashSet<string> NotRead = new(StringComparer.OrdinalIgnoreCase) { "Gateway:Tls:AllowPlaintext" };

    /// <summary>The ASP.NET Core host's own settings the node relies on (listen addresses, logging, environment).</summary>
    public static IReadOnlyList<string> HostPrefixes { get; } = ["Kestrel:", "Logging:", "urls", "http_ports", "https_ports", "environment", "AllowedHosts"];

    /// <summary>Every key, "Section:Name"; a trailing ":*" stands for any key below (a dictionary or an array).</summary>
    public static IReadOnlyList<string> Names { get; } = Build();

    /// <summary>The sections that belong to the node (a key in one of them must be in <see cref="Names"/>).</summary>
    public static IReadOnlyList<string> OwnSections { get; } = ["Gateway", "Kafka", "Redis", "ConnectionStrings"];

    /// <summary>Whether <paramref name="key"/> ("A:B:C", case-insensitive as configuration is) is one of <paramref name="names"/>.</summary>
    public static bool Reads(string key, IEnumerable<string> names) => names.Any(n =>
        n.EndsWith(":*", StringComparison.Ordinal)
            ? key.StartsWith(n[..^1], StringComparison.OrdinalIgnoreCase) && key.Length > n.Length - 1
            : key.Equals(n, StringComparison.OrdinalIgnoreCase));

    public static bool Reads(string key) => Reads(key, Names);

    private static List<string> Build()
    {
        var names = new List<string>(Single);
        foreach (var (section, type) in Bound)
        {
            foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.SetMethod!.IsPublic))
            {
                var key = $"{section}:{p.Name}";
                if (NotRead.Contains(key)) continue;
                // A dictionary (Kafka:Settings) or list takes any key below it.
                var collection = p.PropertyType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(p.PropertyType);
                names.Add(collection ? key + ":*" : key);
            }
        }
        return names.Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
    }
}
