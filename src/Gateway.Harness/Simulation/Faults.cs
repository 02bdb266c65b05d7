namespace Gateway.Harness.Simulation;

/// <summary>The faults a run can apply (docs/harness.md, Fault kinds).</summary>
public enum FaultKind
{
    /// <summary>SIGKILL one node process, then start it again.</summary>
    NodeKill,
    /// <summary>Every broker of the embedded cluster down for a while, then up.</summary>
    BrokerDown,
    /// <summary>The next produce and fetch requests fail with retriable errors (broker fault API).</summary>
    BrokerRequestErrors,
    /// <summary>Round-trip latency on every broker for a while (envelopes delayed).</summary>
    BrokerLatency,
    /// <summary>The leader of each partition of one inbox moves to another broker.</summary>
    LeaderChange,
    /// <summary>FLUSHALL on the redis-server: every idempotency key gone from the fast path.</summary>
    RedisFlush,
    /// <summary>redis-server killed for a while, then started again empty.</summary>
    RedisRestart,
    /// <summary>The PostgreSQL server restarted (fast shutdown, then start): every node loses its connections.</summary>
    PostgresRestart,
    /// <summary>The latest records of one inbox produced again with a plain producer (duplicated, and late: reordered).</summary>
    DuplicateEnvelopes,
    /// <summary>One node stopped and its group's offsets moved to the end of its inbox: what waited there is dropped.</summary>
    DropEnvelopes,
    /// <summary>Garbage, an unknown message type and a forged withdrawal from a stranger on one inbox.</summary>
    PoisonEnvelopes,
    /// <summary>One province system paused for a while: it receives work items but answers late.</summary>
    SlowProvinceSystem,
    /// <summary>One province system answers its latest items again under new keys, as one that lost its memory would.</summary>
    AnswersTwice,
    /// <summary>One province system stopped mid-stream and started again (a new instance: its memory of answers gone).</summary>
    ProvinceSystemRestart,
    /// <summary>
    /// Every node's clock (and the simulated systems') jumps forward past the next midnight in China, so deadlines,
    /// overdue checks and business dates cross into the next day: the run starts on the eve of a year end and holiday.
    /// </summary>
    ClockMoved,
}

/// <summary>
/// One fault of a schedule: applied <see cref="At"/> after the workload starts, to <see cref="Target"/> (a province
/// code; empty: chosen from the seed), lasting <see cref="Duration"/> where the kind has one.
/// </summary>
public sealed record FaultSpec(TimeSpan At, FaultKind Kind, string Target = "", TimeSpan? Duration = null)
{
    public string? Problem(Scenario scenario)
    {
        if (At < TimeSpan.Zero) return $"{Kind}: at must not be negative";
        if (Kind == FaultKind.PostgresRestart && scenario.Postgres is not null)
            return "PostgresRestart: the run does not restart an existing PostgreSQL server (--postgres); leave the fault out or let the run start its own";
        if (Duration is { } d && (d < TimeSpan.Zero || d > TimeSpan.FromMinutes(10))) return $"{Kind}: duration 0..10 min";
        if (Target.Length > 0 && !scenario.Provinces.Contains(Target)) return $"{Kind}: target {Target} is not one of the provinces";
        if (Kind == FaultKind.LeaderChange && scenario.Brokers < 2) return "LeaderChange needs brokers >= 2";
        if (Kind == FaultKind.ClockMoved && (Duration is not null || Target.Length > 0))
            return "ClockMoved: moves every node's clock at once, so it takes no target and no duration";
        return null;
    }
}

/// <summary>A fault as it was applied: when (since the start), to what, how long it lasted, and what happened.</summary>
public sealed record AppliedFault(TimeSpan At, FaultKind Kind, string Target, TimeSpan Took, bool Applied, string Detail);

/// <summary>Fault kinds the issue names that this harness does not apply, and why (listed in every report).</summary>
public static class FaultsNotApplied
{
    public static readonly IReadOnlyList<(string Kind, string Why)> Kinds =
    [
        ("EnvelopeReorderedWithinPartition", "the broker keeps partition order; re-produced old records arriving after newer ones (DuplicateEnvelopes) are the only reordering applied"),
    ];
}

/// <summary>The schedule of a run, random from the seed or scripted.</summary>
public static class FaultSchedule
{
    /// <summary>The kinds that can be applied to the scenario's cluster: leaders move only between 2 or more brokers, and only a private PostgreSQL is restarted.</summary>
    public static IReadOnlyList<FaultKind> AllKinds(Scenario scenario) =>
        Enum.GetValues<FaultKind>()
            .Where(k => k != FaultKind.LeaderChange || scenario.Brokers >= 2)
            .Where(k => k != FaultKind.PostgresRestart || scenario.Postgres is null)
            .ToList();

    /// <summary>The kinds the scenario's schedule holds, whatever the seed (a random one has each of them at least once).</summary>
    public static IReadOnlyList<FaultKind> KindsOf(Scenario scenario) =>
        scenario.Faults == "none" ? []
        : scenario.ScriptedFaults.Count > 0 ? scenario.ScriptedFaults.Select(f => f.Kind).Distinct().ToList()
        : (scenario.FaultKinds.Count > 0 ? scenario.FaultKinds : AllKinds(scenario)).ToList();

    public static IReadOnlyList<FaultSpec> For(Scenario scenario, Random random)
    {
        if (scenario.Faults == "none") return [];
        if (scenario.ScriptedFaults.Count > 0) return scenario.ScriptedFaults.OrderBy(f => f.At).ToList();
        var kinds = KindsOf(scenario);
        var picked = new List<FaultKind>(kinds);
        for (var i = 0; i < scenario.ExtraRandomFaults; i++) picked.Add(kinds[random.Next(kinds.Count)]);
        Shuffle(picked, random);
        // Spread evenly over the window with jitter, the first after a few seconds of traffic.
        var window = scenario.FaultWindow.TotalMilliseconds;
        var slot = window / Math.Max(1, picked.Count);
        return picked.Select((kind, i) =>
        {
            var at = TimeSpan.FromMilliseconds(3000 + i * slot + random.NextDouble() * slot * 0.5);
            var target = scenario.Provinces[random.Next(scenario.Provinces.Count)];
            if (kind == FaultKind.ClockMoved) target = ""; // every node at once (drawn anyway, so the rest of the schedule stays the same)
            TimeSpan? duration = kind switch
            {
                FaultKind.BrokerDown or FaultKind.RedisRestart => TimeSpan.FromMilliseconds(2000 + random.Next(4000)),
                FaultKind.BrokerLatency => TimeSpan.FromMilliseconds(2000 + random.Next(3000)),
                FaultKind.SlowProvinceSystem => TimeSpan.FromMilliseconds(3000 + random.Next(5000)),
                FaultKind.NodeKill => TimeSpan.FromMilliseconds(500 + random.Next(2500)),
                _ => null,
            };
            return new FaultSpec(at, kind, target, duration);
        }).ToList();
    }

    private static void Shuffle<T>(List<T> list, Random random)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
