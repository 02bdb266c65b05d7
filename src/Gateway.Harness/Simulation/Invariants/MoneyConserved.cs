namespace Gateway.Harness.Simulation.Invariants;

/// <summary>
/// The sum of personal-account balances over all provinces is unchanged, person by person (so nothing was credited
/// twice or lost); every debit at an origin has the same amount credited at the destination, or a visible hold.
/// </summary>
public sealed class MoneyConserved : IInvariant
{
    public string Name => nameof(MoneyConserved);
    public string Description => "balances summed over all provinces unchanged per person; no credit twice; no debit without its credit or a visible hold";

    public async Task<InvariantResult> CheckAsync(SimulationState state, CancellationToken ct)
    {
        var problems = new List<string>();
        var external = state.Scenario.ExternalSystem;
        var byPerson = state.Transfers.Where(t => t.TransferId is not null).GroupBy(t => t.Certno).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var skipped = new HashSet<string>(state.Transfers.Where(t => t.Origin == external || t.Destination == external).Select(t => t.Certno), StringComparer.Ordinal);
        var registries = state.SimulatedNodes.Select(n => n.Registry).ToList();
        long totalNow = 0;
        foreach (var (certno, initial) in state.InitialBalances)
        {
            var now = registries.Sum(r => r.Find(certno)?.BalanceFen ?? 0);
            if (!skipped.Contains(certno)) totalNow += now; else totalNow += initial;
            if (now == initial || skipped.Contains(certno)) continue;
            var transfers = byPerson.GetValueOrDefault(certno) ?? [];
            problems.Add($"person {SimulationState.Mask(certno)}: balances over all provinces {now} fen, {initial} fen at the start ({now - initial:+#;-#} fen)" +
                $"; transfers {(transfers.Count == 0 ? "none" : string.Join(", ", transfers.Select(t => $"{t.TransferId} ({t.Origin}→{t.Destination})")))}");
        }

        var rows = await TransferRows.LoadAsync(state);
        var debited = 0;
        foreach (var run in state.Transfers.Where(t => t.TransferId is not null))
        {
            var origin = rows.GetValueOrDefault((run.Origin, run.TransferId!));
            var destination = rows.GetValueOrDefault((run.Destination, run.TransferId!));
            var sent = origin?.Transferred ?? 0;
            var credited = destination?.Credited ?? 0;
            if (sent > 0) debited++;
            var visible = (origin?.Visible ?? false) || (destination?.Visible ?? false);
            if (sent > 0 && credited != sent && !visible)
                problems.Add($"transfer {run.TransferId} ({run.Origin}→{run.Destination}): {sent} fen debited at the origin, {credited} fen credited at the destination, and no hold or failure says why");
            if (credited > 0 && sent != credited)
                problems.Add($"transfer {run.TransferId} ({run.Origin}→{run.Destination}): {credited} fen credited at the destination but the origin sent {sent} fen");
        }
        return InvariantResult.From(problems,
            $"{state.InitialBalances.Count} people, {totalNow} fen now vs {state.InitialTotal} fen at the start; {debited} debits matched against their credits" +
            (skipped.Count > 0 ? $"; {skipped.Count} people of the integrator's province not counted" : ""));
    }
}
