namespace Gateway.Harness.Simulation.Invariants;

/// <summary>
/// No envelope or work item was acted on twice: each province system applied each work item once (repeats were
/// answered from memory), each node applied each record version once, and no injected poison or forged envelope acted
/// (each is dead-lettered, none in an inbox).
/// </summary>
public sealed class NothingActedTwice : IInvariant
{
    public string Name => nameof(NothingActedTwice);
    public string Description => "each work item applied once by its province system; each record version applied once per node; no poison or forgery acted";

    public async Task<InvariantResult> CheckAsync(SimulationState state, CancellationToken ct)
    {
        var problems = new List<string>();
        long items = 0, repeats = 0;
        var systems = state.SimulatedNodes.Where(n => n.Simulator is not null).Select(n => (n.Province, System: n.Simulator!))
            .Concat(state.RetiredSimulators).ToList();
        foreach (var (province, system) in systems)
        {
            var answered = system.AnsweredItems;
            repeats += answered.Count(a => a.Repeat);
            foreach (var g in answered.Where(a => !a.Repeat).GroupBy(a => a.ItemId))
            {
                items++;
                if (g.Count() > 1) problems.Add($"work item {g.Key} ({g.First().Kind}, transfer {g.First().Item.TransferId}) applied {g.Count()} times by province {province}'s system");
            }
        }
        long changes = 0;
        foreach (var node in state.Nodes)
        {
            var db = state.Db(node.Province);
            changes += await db.CountAsync("SELECT count(*) FROM record_changes");
            foreach (var twice in await db.QueryAsync("""
                SELECT kind, owner_province, record_id, version, count(*) FROM record_changes
                GROUP BY kind, owner_province, record_id, version, change HAVING count(*) > 1 LIMIT 10
                """, r => $"{r.GetString(0)} {r.GetString(1)}:{r.GetString(2)} v{r.GetInt64(3)} applied {r.GetInt64(4)} times at {node.Province}"))
                problems.Add(twice);
        }
        var injected = 0;
        foreach (var e in state.Injected)
        {
            injected++;
            var db = state.Db(e.Province);
            if (e.MessageId is { } id && await db.CountAsync("SELECT count(*) FROM inbox WHERE message_id = @id", ("id", id)) > 0)
                problems.Add($"injected {e.What} envelope {id} was applied at {e.Province}");
            if (await db.CountAsync("SELECT count(*) FROM dead_letters WHERE payload = @p", ("p", e.Payload)) == 0)
                problems.Add($"injected {e.What} envelope {e.MessageId ?? "(unreadable)"} at {e.Province} has no dead-letter entry");
        }
        return InvariantResult.From(problems, $"{items} work items applied once ({repeats} repeats answered from memory); {changes} record changes; {injected} injected envelopes dead-lettered");
    }
}
