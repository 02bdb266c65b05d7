using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Domain.Values;

namespace Gateway.Harness.Simulation;

/// <summary>
/// What one harness run does: which provinces, how much work of each kind, how fast, which faults, how long to wait.
/// Everything random in a run is drawn from <see cref="Seed"/>, so the same scenario and seed replay the same schedule.
/// </summary>
public sealed record Scenario
{
    /// <summary>Two-digit province codes, one node each (2..32).</summary>
    public IReadOnlyList<string> Provinces { get; init; } = ["15", "51"];

    public int Seed { get; init; } = 20261122;

    /// <summary>Transfers started, spread over random pairs in both directions.</summary>
    public int Transfers { get; init; } = 200;

    /// <summary>Share of transfers whose person is still active at the origin, so the origin returns the letter.</summary>
    public double ReturnedShare { get; init; } = 0.1;

    /// <summary>Share of transfers the destination withdraws right after accepting (withdrawn, or refused if the origin acted first).</summary>
    public double WithdrawnShare { get; init; } = 0.1;

    /// <summary>Care filings created; each then goes through a few lifecycle steps (change, suspend, resume, terminate).</summary>
    public int Filings { get; init; } = 40;

    /// <summary>Most lifecycle steps after the creation of one filing.</summary>
    public int MaxFilingSteps { get; init; } = 3;

    /// <summary>Enrolment changes published (a record created, some changed again).</summary>
    public int Enrolments { get; init; } = 20;

    /// <summary>Share of enrolment changes that create a duplicate enrolment: the same person published by two provinces.</summary>
    public double DuplicateShare { get; init; } = 0.5;

    /// <summary>Workload operations running at once.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>Operations started per second at most (0: as fast as <see cref="Concurrency"/> allows).</summary>
    public double Rate { get; init; }

    /// <summary>The workload stops starting new operations after this long.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>"random" (drawn from the seed), "none", or the faults themselves (<see cref="ScriptedFaults"/>).</summary>
    public string Faults { get; init; } = "random";

    /// <summary>With <see cref="Faults"/> = "random": faults beyond one of each kind.</summary>
    public int ExtraRandomFaults { get; init; } = 2;

    /// <summary>With <see cref="Faults"/> = "random": the faults are spread over this window from the start.</summary>
    public TimeSpan FaultWindow { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Fault kinds a random schedule draws from (empty: every kind this harness applies).</summary>
    public IReadOnlyList<FaultKind> FaultKinds { get; init; } = [];

    public IReadOnlyList<FaultSpec> ScriptedFaults { get; init; } = [];

    /// <summary>How long to wait, after the workload and the faults, for every outbox and work item to settle.</summary>
    public TimeSpan QuiescenceTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Nothing may move for this long before the cluster counts as quiet.</summary>
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>
    /// The nodes' first re-send delay for an envelope without a receipt, doubling up to <see cref="ResendMaxDelay"/>.
    /// Short runs use seconds so dropped envelopes come back quickly. A loaded cluster needs more: when receipts take
    /// longer than the delay, every envelope is sent again and again, and the copies become most of the work.
    /// </summary>
    public TimeSpan ResendFirstDelay { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan ResendMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Brokers in the embedded cluster; 2 or more lets the run move partition leaders.</summary>
    public int Brokers { get; init; } = 2;

    /// <summary>An existing redis-server (host:port) instead of a private one.</summary>
    public string? Redis { get; init; }

    /// <summary>
    /// An existing PostgreSQL server (a connection string of a role that may create databases) instead of a private one.
    /// The run creates its own databases there and drops them at the end; it never restarts that server, so a random
    /// schedule leaves PostgresRestart out and a scripted one may not hold it.
    /// </summary>
    public string? Postgres { get; init; }

    /// <summary>
    /// Where the cluster's clock starts when the schedule holds ClockMoved (China time; null: <see cref="DefaultClockStart"/>).
    /// Each ClockMoved then moves it past the next midnight. Not before 2000 nor after today, so every node's dates stay
    /// in the range its checks accept.
    /// </summary>
    public DateTimeOffset? ClockStart { get; init; }

    private static readonly DateTimeOffset EarliestClockStart = new(2025, 12, 1, 0, 0, 0, Gateway.Domain.Calendar.ChinaTime.Offset);

    /// <summary>
    /// 20:00 in China on 31 December of the last year that the calendar seeds and the year after both cover: the first
    /// ClockMoved crosses a year end into a public holiday (New Year's Day) with both years' official schedules loaded.
    /// </summary>
    public static DateTimeOffset DefaultClockStart
    {
        get
        {
            var calendar = Gateway.Domain.Seeds.SeedLibrary.Calendar;
            var year = calendar.Years.Select(y => y.Year).Where(y => calendar.Covers(y + 1)).DefaultIfEmpty(DateTime.UtcNow.Year - 1).Max();
            return new DateTimeOffset(year, 12, 31, 20, 0, 0, Gateway.Domain.Calendar.ChinaTime.Offset);
        }
    }

    /// <summary>The clock a run starts on: shifted when its schedule moves the clock, the system clock (null) otherwise.</summary>
    public DateTimeOffset? RunClockStart => FaultSchedule.KindsOf(this).Contains(FaultKind.ClockMoved) ? ClockStart ?? DefaultClockStart : ClockStart;

    /// <summary>A province whose node runs without the simulator: the integrator's own province system answers there.</summary>
    public string? ExternalSystem { get; init; }

    /// <summary>With <see cref="ExternalSystem"/>: how long to wait for it to connect before the workload starts.</summary>
    public TimeSpan ExternalWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The CI scenario: 2 provinces, 200 transfers, filings, enrolments, one of each fault kind.</summary>
    public static Scenario Short(int seed = 20261122) => new() { Seed = seed };

    /// <summary>
    /// The long scenario: all 32 provinces, 10,000 transfers and over 100,000 record changes (filings with their
    /// lifecycles, enrolment changes), every fault kind several times.
    /// </summary>
    public static Scenario Long(int seed = 20261122) => new()
    {
        Seed = seed,
        Provinces = ProvinceCode.All.Select(p => p.Value).ToList(),
        Transfers = 10_000,
        Filings = 26_000,
        MaxFilingSteps = 4,
        Enrolments = 20_000,
        Concurrency = 24,
        Duration = TimeSpan.FromHours(4),
        ExtraRandomFaults = 20,
        // Inside the workload (about half an hour on 2 cores), so every fault meets traffic.
        FaultWindow = TimeSpan.FromMinutes(25),
        // The production schedule's first delay, capped lower: 32 nodes on 2 cores answer receipts in seconds to tens of seconds.
        ResendFirstDelay = TimeSpan.FromSeconds(30),
        ResendMaxDelay = TimeSpan.FromMinutes(2),
        QuiescenceTimeout = TimeSpan.FromMinutes(60),
    };

    /// <summary>Synthetic people per registry: enough distinct people for every transfer out, filing and enrolment.</summary>
    public int PeoplePerProvince =>
        // Pairs are drawn at random, so one province may take well over its share; some people have no balance to move.
        (int)Math.Ceiling(Transfers * 1.8 / Provinces.Count + (Filings + Enrolments) * 1.5 / Provinces.Count) + 40;

    /// <summary>Problems with the scenario, by option name; empty when it can run.</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (Provinces.Count is < 2 or > 32) p.Add($"provinces: 2..32 provinces, got {Provinces.Count}");
        foreach (var code in Provinces)
            if (new ProvinceCode(code).Check() is { } why) p.Add($"provinces: {why}");
        if (Provinces.Distinct().Count() != Provinces.Count) p.Add("provinces: a province is listed twice");
        if (Transfers is < 0 or > 1_000_000) p.Add("transfers: 0..1,000,000");
        if (Filings is < 0 or > 1_000_000) p.Add("filings: 0..1,000,000");
        if (Enrolments is < 0 or > 1_000_000) p.Add("enrolments: 0..1,000,000");
        if (MaxFilingSteps is < 0 or > 10) p.Add("maxFilingSteps: 0..10");
        if (Concurrency is < 1 or > 256) p.Add("concurrency: 1..256");
        if (Rate < 0) p.Add("rate: 0 or more operations per second");
        if (ReturnedShare is < 0 or > 1 || WithdrawnShare is < 0 or > 1 || ReturnedShare + WithdrawnShare > 1)
            p.Add("returnedShare, withdrawnShare: each 0..1, together at most 1");
        if (DuplicateShare is < 0 or > 1) p.Add("duplicateShare: 0..1");
        if (Faults is not ("random" or "none" or "scripted")) p.Add("faults: random, none or a scripted list");
        if (Brokers is < 1 or > 5) p.Add("brokers: 1..5");
        if (ExternalSystem is { } ext && !Provinces.Contains(ext)) p.Add($"externalSystem: {ext} is not one of the provinces");
        if (Duration <= TimeSpan.Zero || QuiescenceTimeout <= TimeSpan.Zero) p.Add("duration, quiescenceTimeout: positive");
        if (ResendFirstDelay < TimeSpan.FromMilliseconds(100) || ResendMaxDelay < ResendFirstDelay || ResendMaxDelay > TimeSpan.FromHours(1))
            p.Add("resendFirstDelay, resendMaxDelay: at least 100 ms, the first at most the max, the max at most 1 hour");
        if (Postgres is not null) p.AddRange(PostgresProblems(Postgres));
        if (ClockStart is { } clock && (clock < EarliestClockStart || clock > DateTimeOffset.UtcNow.AddYears(5)))
            p.Add($"clockStart: from {EarliestClockStart:yyyy-MM-dd} (the synthetic people's insurance periods run to that month) to 5 years from now");
        foreach (var f in ScriptedFaults)
            if (f.Problem(this) is { } why) p.Add($"faults: {why}");
        return p;
    }

    private IEnumerable<string> PostgresProblems(string connectionString)
    {
        Npgsql.NpgsqlConnectionStringBuilder builder;
        try { builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString); }
        catch (ArgumentException ex) { return [$"postgres: not a connection string ({ex.Message})"]; }
        var p = new List<string>();
        if (string.IsNullOrEmpty(builder.Host)) p.Add("postgres: the connection string names no Host");
        // The string goes into the report and onto each node's command line.
        if (!string.IsNullOrEmpty(builder.Password)) p.Add("postgres: keep the password out of the connection string (use Passfile=... or ~/.pgpass): it is written to the report and to the nodes' command lines");
        if (FaultKinds.Contains(FaultKind.PostgresRestart)) p.Add("faultKinds: PostgresRestart is not applied to an existing PostgreSQL server (postgres)");
        return p;
    }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>A scenario file: this record's properties in camelCase; times as "hh:mm:ss"; faults as a list or "random".</summary>
    public static Scenario Load(string path)
    {
        var scenario = JsonSerializer.Deserialize<Scenario>(File.ReadAllText(path), Json)
            ?? throw new FormatException($"{path}: empty scenario");
        return scenario.ScriptedFaults.Count > 0 && scenario.Faults == "random" ? scenario with { Faults = "scripted" } : scenario;
    }

    /// <summary>A fault file: a JSON list of {at, kind, target, duration}.</summary>
    public static IReadOnlyList<FaultSpec> LoadFaults(string path) =>
        JsonSerializer.Deserialize<List<FaultSpec>>(File.ReadAllText(path), Json) ?? throw new FormatException($"{path}: empty fault list");
}
