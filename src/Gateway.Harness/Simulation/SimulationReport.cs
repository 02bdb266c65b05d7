using System.Text.Json;
using Gateway.Harness.Simulation.Invariants;

namespace Gateway.Harness.Simulation;

/// <summary>One invariant's line of the report.</summary>
public sealed record InvariantLine(string Name, string Description, bool Passed, string? Counterexample, IReadOnlyList<string> Counterexamples, string Summary);

/// <summary>The run's figures.</summary>
public sealed record SimulationFigures(
    int TransfersStarted, int TransfersCompleted, int LettersReturned, int Withdrawn, int HeldOrFailed,
    int FilingsCreated, int FilingSteps, int EnrolmentChanges, int DuplicatesCreated,
    long RecordChangesAtOwners, long RecordsSynced, int CallsAnswered, IReadOnlyDictionary<string, int> CallFailures,
    int FaultsApplied, int FaultsSurvived, long DeadLetters,
    double WorkloadSeconds, double TimeToQuiescenceSeconds, bool Quiescent, string QuiescenceDetail,
    double PeakClusterRssMiB, double SumOfProcessPeaksMiB, double TotalSeconds);

/// <summary>What a run reports: seed, scenario, faults, invariants, figures. Written as JSON; the CLI prints it as tables.</summary>
public sealed record SimulationReport(
    int Seed, Scenario Scenario, DateTimeOffset StartedAt, IReadOnlyList<AppliedFault> Faults,
    IReadOnlyList<FaultNotApplied> FaultKindsNotApplied, IReadOnlyList<InvariantLine> Invariants, SimulationFigures Figures, string Replay)
{
    public bool Passed => Invariants.All(i => i.Passed);

    public string ToJson() => JsonSerializer.Serialize(this, Scenario.Json);

    public static SimulationReport FromJson(string json) => JsonSerializer.Deserialize<SimulationReport>(json, Scenario.Json)!;
}

public sealed record FaultNotApplied(string Kind, string Why);
