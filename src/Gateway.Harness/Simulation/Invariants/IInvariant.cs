namespace Gateway.Harness.Simulation.Invariants;

/// <summary>
/// The outcome of one invariant: passed, or the first counterexamples found (each names the transfer, record, envelope
/// or person it is about; identity numbers masked). <paramref name="Summary"/> says what was checked.
/// </summary>
public sealed record InvariantResult(bool Passed, string? Counterexample, string Summary, IReadOnlyList<string> Counterexamples)
{
    public static InvariantResult Pass(string summary) => new(true, null, summary, []);

    public static InvariantResult From(IReadOnlyList<string> problems, string summary) =>
        problems.Count == 0 ? Pass(summary) : new(false, problems[0], summary, problems.Take(20).ToList());
}

/// <summary>One guarantee of the exchange, checked against the nodes' databases and the province registries after a run.</summary>
public interface IInvariant
{
    string Name { get; }

    /// <summary>What it promises, in one line (printed with the report).</summary>
    string Description { get; }

    Task<InvariantResult> CheckAsync(SimulationState state, CancellationToken ct);
}

/// <summary>Every invariant the harness checks, in report order.</summary>
public static class AllInvariants
{
    public static IReadOnlyList<IInvariant> Create() =>
    [
        new MoneyConserved(), new TransfersSettled(), new EnvelopesDelivered(), new ReplicasMatchOwner(), new DuplicatesFound(),
        new NothingActedTwice(), new AnsweredCallsKept(), new MessageLogsVerify(),
    ];
}
