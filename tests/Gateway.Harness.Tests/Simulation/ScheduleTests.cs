using Gateway.Harness.Simulation;

namespace Gateway.Harness.Tests.Simulation;

/// <summary>The seed fixes the schedule: a replay applies the same faults at the same times to the same targets.</summary>
public sealed class ScheduleTests
{
    [Fact]
    public void The_same_seed_gives_the_same_fault_schedule_and_another_seed_another()
    {
        var scenario = Scenario.Short(seed: 7);
        var first = FaultSchedule.For(scenario, new Random(7));
        var again = FaultSchedule.For(scenario, new Random(7));
        var other = FaultSchedule.For(scenario, new Random(8));
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        // Random: one of each kind at least, inside the window.
        Assert.Equal(Enum.GetValues<FaultKind>().Order(), first.Select(f => f.Kind).Distinct().Order());
        Assert.All(first, f => Assert.InRange(f.At, TimeSpan.Zero, scenario.FaultWindow + TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void On_an_existing_postgres_server_the_schedule_never_restarts_it_and_a_password_in_the_string_is_refused()
    {
        var existing = Scenario.Short(seed: 7) with { Postgres = "Host=db.example;Port=5432;Username=harness" };
        Assert.Empty(existing.Problems());
        Assert.DoesNotContain(FaultKind.PostgresRestart, FaultSchedule.KindsOf(existing));
        Assert.DoesNotContain(FaultSchedule.For(existing, new Random(7)), f => f.Kind == FaultKind.PostgresRestart);
        Assert.Contains(FaultKind.PostgresRestart, FaultSchedule.KindsOf(Scenario.Short(seed: 7)));

        Assert.Contains((existing with { ScriptedFaults = [new FaultSpec(TimeSpan.FromSeconds(3), FaultKind.PostgresRestart)] }).Problems(),
            p => p.Contains("PostgresRestart", StringComparison.Ordinal));
        Assert.Contains((existing with { FaultKinds = [FaultKind.PostgresRestart] }).Problems(), p => p.StartsWith("faultKinds:", StringComparison.Ordinal));
        Assert.Contains((existing with { Postgres = "Host=db;Username=harness;Password=secret" }).Problems(), p => p.Contains("password", StringComparison.Ordinal));
        Assert.Contains((existing with { Postgres = "Username=harness" }).Problems(), p => p.Contains("Host", StringComparison.Ordinal));
        Assert.Contains((existing with { Postgres = "not a = connection ; string = ;;==" }).Problems(), p => p.StartsWith("postgres:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_schedule_that_moves_the_clock_starts_the_run_on_the_eve_of_a_year_end_with_both_years_loaded()
    {
        var calendar = Gateway.Domain.Seeds.SeedLibrary.Calendar;
        var start = Scenario.DefaultClockStart;
        Assert.Equal((12, 31, 20), (start.Month, start.Day, start.Hour));
        Assert.True(calendar.Covers(start.Year) && calendar.Covers(start.Year + 1));
        // New Year's Day is a public holiday in every official calendar.
        Assert.False(calendar.IsWorkingDay(new DateOnly(start.Year + 1, 1, 1)));

        var scenario = Scenario.Short(seed: 7);
        Assert.Contains(FaultKind.ClockMoved, FaultSchedule.KindsOf(scenario));
        Assert.Equal(start, scenario.RunClockStart);
        Assert.All(FaultSchedule.For(scenario, new Random(7)).Where(f => f.Kind == FaultKind.ClockMoved), f => Assert.Equal("", f.Target));
        Assert.Null((scenario with { FaultKinds = [FaultKind.NodeKill] }).RunClockStart);
        Assert.Null((scenario with { Faults = "none" }).RunClockStart);

        Assert.Contains((scenario with { ScriptedFaults = [new FaultSpec(TimeSpan.Zero, FaultKind.ClockMoved, "15")] }).Problems(),
            p => p.StartsWith("faults: ClockMoved", StringComparison.Ordinal));
        Assert.Contains((scenario with { ClockStart = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero) }).Problems(),
            p => p.StartsWith("clockStart:", StringComparison.Ordinal));
        Assert.Empty((scenario with { ClockStart = new DateTimeOffset(2026, 9, 30, 20, 0, 0, TimeSpan.FromHours(8)) }).Problems());
    }

    [Fact]
    public void A_scripted_list_is_applied_as_written_and_none_means_none()
    {
        var scripted = new[] { new FaultSpec(TimeSpan.FromSeconds(9), FaultKind.RedisFlush), new FaultSpec(TimeSpan.FromSeconds(2), FaultKind.NodeKill, "51") };
        var scenario = Scenario.Short() with { Faults = "scripted", ScriptedFaults = scripted };
        Assert.Equal(scripted.OrderBy(f => f.At), FaultSchedule.For(scenario, new Random(1)));
        Assert.Empty(FaultSchedule.For(Scenario.Short() with { Faults = "none" }, new Random(1)));
    }

    [Theory]
    [InlineData("provinces")]
    [InlineData("shares")]
    [InlineData("target")]
    [InlineData("leader")]
    [InlineData("resend")]
    public void A_scenario_that_cannot_run_names_its_problem(string what)
    {
        var scenario = what switch
        {
            "provinces" => Scenario.Short() with { Provinces = ["15"] },
            "shares" => Scenario.Short() with { ReturnedShare = 0.7, WithdrawnShare = 0.5 },
            "target" => Scenario.Short() with { ScriptedFaults = [new FaultSpec(TimeSpan.Zero, FaultKind.NodeKill, "44")] },
            "resend" => Scenario.Short() with { ResendFirstDelay = TimeSpan.FromMinutes(3), ResendMaxDelay = TimeSpan.FromMinutes(1) },
            _ => Scenario.Short() with { Brokers = 1, ScriptedFaults = [new FaultSpec(TimeSpan.Zero, FaultKind.LeaderChange)] },
        };
        var problem = Assert.Single(scenario.Problems());
        Assert.Contains(what switch { "provinces" => "2..32", "shares" => "together at most 1", "target" => "44", "resend" => "the first at most the max", _ => "brokers >= 2" }, problem);
    }

    [Fact]
    public void The_scenario_re_send_schedule_reaches_the_nodes_and_the_long_preset_meets_its_bar()
    {
        var shortRun = Gateway.Harness.Simulation.Simulation.ClusterOptionsFor(Scenario.Short()).NodeSettings;
        Assert.Equal("00:00:02", shortRun["Gateway:ResendFirstDelay"]);
        Assert.Equal("00:00:05", shortRun["Gateway:ResendMaxDelay"]);

        var scenario = Scenario.Long(seed: 42);
        var settings = Gateway.Harness.Simulation.Simulation.ClusterOptionsFor(scenario).NodeSettings;
        // Longer than a loaded cluster's receipts take, so the nodes do not re-send everything.
        Assert.Equal("00:00:30", settings["Gateway:ResendFirstDelay"]);
        Assert.Equal("00:02:00", settings["Gateway:ResendMaxDelay"]);
        Assert.Empty(scenario.Problems());
        Assert.Equal(32, scenario.Provinces.Count);
        Assert.True(scenario.Transfers >= 10_000);
        var schedule = FaultSchedule.For(scenario, new Random(42));
        Assert.Equal(Enum.GetValues<FaultKind>().Order(), schedule.Select(f => f.Kind).Distinct().Order());
        Assert.All(schedule, f => Assert.InRange(f.At, TimeSpan.Zero, scenario.FaultWindow + TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void The_kinds_of_a_schedule_are_known_before_it_is_drawn()
    {
        // The harness command refuses Redis faults without a redis-server by these kinds, before any seed is drawn.
        var scenarios = new[]
        {
            Scenario.Short(seed: 3), Scenario.Long(seed: 4), Scenario.Short() with { Faults = "none" },
            Scenario.Short() with { FaultKinds = [FaultKind.NodeKill, FaultKind.BrokerDown] },
            Scenario.Short() with { Faults = "scripted", ScriptedFaults = [new FaultSpec(TimeSpan.FromSeconds(4), FaultKind.RedisFlush)] },
        };
        foreach (var scenario in scenarios)
            Assert.Equal(FaultSchedule.For(scenario, new Random(scenario.Seed)).Select(f => f.Kind).Distinct().Order(), FaultSchedule.KindsOf(scenario).Order());
    }

    [Fact]
    public void A_scenario_file_reads_back_with_its_faults()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """
                { "provinces": ["15", "51", "11"], "seed": 5, "transfers": 30,
                  "scriptedFaults": [ { "at": "00:00:05", "kind": "BrokerDown", "duration": "00:00:03" } ] }
                """);
            var scenario = Scenario.Load(path);
            Assert.Equal(["15", "51", "11"], scenario.Provinces);
            Assert.Equal("scripted", scenario.Faults);
            Assert.Equal(new FaultSpec(TimeSpan.FromSeconds(5), FaultKind.BrokerDown, "", TimeSpan.FromSeconds(3)), Assert.Single(scenario.ScriptedFaults));
            Assert.Empty(scenario.Problems());
        }
        finally { File.Delete(path); }
    }
}
