namespace Gateway.Harness;

/// <summary>What a local cluster of province nodes looks like.</summary>
public sealed record ClusterOptions
{
    /// <summary>Two-digit province codes, one node each.</summary>
    public IReadOnlyList<string> Provinces { get; init; } = ["15", "51"];

    /// <summary>
    /// The exchange's members as every node is told (Gateway:ExchangeProvinces); null: <see cref="Provinces"/>. A test
    /// that onboards a province later lists it here from the start, as a real exchange lists all 32.
    /// </summary>
    public IReadOnlyList<string>? ExchangeProvinces { get; init; }

    /// <summary>Start a real redis-server; when false or unavailable the nodes use the in-memory fast path.</summary>
    public bool UseRedis { get; init; } = true;

    /// <summary>Run each node as its own process (so a test can kill it) instead of in this process.</summary>
    public bool NodesAsProcesses { get; init; }

    /// <summary>Partitions of each inbox topic.</summary>
    public int InboxPartitions { get; init; } = 4;

    /// <summary>Synthetic people per province registry.</summary>
    public int PeoplePerProvince { get; init; } = 50;

    public int Seed { get; init; } = 20261122;

    /// <summary>Extra node settings ("Gateway:ResendFirstDelay" = "00:00:01", ...).</summary>
    public IReadOnlyDictionary<string, string> NodeSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>Minimum log level of the nodes ("Warning" keeps the demo readable).</summary>
    public string NodeLogLevel { get; init; } = "Warning";

    /// <summary>
    /// Let a node whose database is new ask the others for a backfill at start (a node's default). Off here, since every
    /// node of a fresh cluster is new and has nothing to fetch; tests of backfill switch it on or call StartBackfill.
    /// </summary>
    public bool BackfillOnNewDatabase { get; init; }

    /// <summary>
    /// Clocks for in-process nodes, by province (e.g. a <see cref="ShiftableClock"/>), so a test can move a node's time past
    /// a deadline while it runs. Nodes run as processes keep the system clock unless <see cref="ClockStart"/> is set.
    /// </summary>
    public IReadOnlyDictionary<string, TimeProvider> Clocks { get; init; } = new Dictionary<string, TimeProvider>();

    /// <summary>
    /// Run the whole cluster on one <see cref="ClusterClock"/> that reads this instant at start (null: the system clock).
    /// Every node, in-process or a process, and every simulated system then shares one "now", which a run moves forward
    /// (the ClockMoved fault). Takes precedence over <see cref="Clocks"/>.
    /// </summary>
    public DateTimeOffset? ClockStart { get; init; }

    /// <summary>
    /// Algorithm of the key pair generated for each province at start (signature.type): SM2-SM3 by default, or
    /// ECDSA-P256-SHA256, RSA-PSS-SHA256, RSA-PKCS1-SHA256 (<see cref="Gateway.Messaging.Signing.SignatureAlgorithms"/>).
    /// </summary>
    public string SignatureAlgorithm { get; init; } = Gateway.Messaging.Signing.SignatureAlgorithms.Sm2Sm3;

    /// <summary>
    /// Provinces listed in the directory with a key but run by no node here (a member whose node is elsewhere): tests
    /// sign envelopes as them to exercise the trust rules with a signature that verifies.
    /// </summary>
    public IReadOnlyList<string> DirectoryOnlyProvinces { get; init; } = [];

    /// <summary>
    /// Serve every node over HTTPS with client certificates from a private CA generated at start (<see cref="ClusterTls"/>);
    /// each node's <see cref="ProvinceNode.Channel"/> then carries its province's system certificate. Off: h2c on loopback,
    /// as most tests run (docs/security.md, Transport and roles).
    /// </summary>
    public bool Tls { get; init; }

    /// <summary>Start each province's simulated province system with its node.</summary>
    public bool StartSimulators { get; init; } = true;

    /// <summary>Provinces whose node starts without the simulator: an integrator's own province system answers there.</summary>
    public IReadOnlyList<string> ExternalSystems { get; init; } = [];

    /// <summary>Brokers in the embedded cluster (2 or more lets a run move partition leaders).</summary>
    public int BrokerCount { get; init; } = 1;

    /// <summary>An existing redis-server (host:port) instead of a private one started for the run.</summary>
    public string? RedisEndpoint { get; init; }

    /// <summary>
    /// An existing PostgreSQL server (a connection string of a role that may create databases) instead of a private one:
    /// each node gets a database of its own there, dropped when the cluster stops.
    /// </summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>
    /// Origin 15 and destination 51 with a small re-send budget (3 sends, 2 s apart), so an envelope whose receiver is
    /// down fails within seconds: what the operators' tests (service, CLI) start from.
    /// </summary>
    public static ClusterOptions ForOperators(int peoplePerProvince) => new()
    {
        Provinces = ["15", "51"], PeoplePerProvince = peoplePerProvince,
        NodeSettings = new Dictionary<string, string>
        {
            ["Gateway:ResendBudget"] = "3", ["Gateway:ResendFirstDelay"] = "00:00:02", ["Gateway:ResendMaxDelay"] = "00:00:02",
        },
    };

    /// <summary>An extra log provider for in-process nodes (tests read what the nodes logged), at <see cref="NodeLogLevel"/>.</summary>
    public Microsoft.Extensions.Logging.ILoggerProvider? NodeLogs { get; init; }
}
