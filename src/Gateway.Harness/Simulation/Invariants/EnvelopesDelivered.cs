namespace Gateway.Harness.Simulation.Invariants;

/// <summary>
/// No envelope was lost: every envelope a sender holds as acknowledged (its receipt came back) is in its receiver's
/// inbox, and none is still waiting for its receipt; one that ran out of its retry budget is failed, visible to operators.
/// </summary>
public sealed class EnvelopesDelivered : IInvariant
{
    public string Name => nameof(EnvelopesDelivered);
    public string Description => "every envelope acknowledged to its sender is in its receiver's inbox; none still waits for its receipt";

    public async Task<InvariantResult> CheckAsync(SimulationState state, CancellationToken ct)
    {
        var problems = new List<string>();
        var members = state.Nodes.Select(n => n.Province).ToHashSet(StringComparer.Ordinal);
        long delivered = 0, failed = 0;
        foreach (var sender in state.Nodes)
        {
            var rows = await state.Db(sender.Province).QueryAsync("""
                SELECT message_id, message_type, receiver, correlation_id, status FROM outbox WHERE needs_receipt
                """, r => (Id: r.GetString(0), Type: r.GetString(1), Receiver: r.GetString(2), Correlation: HarnessDb.Str(r, 3), Status: r.GetString(4)));
            failed += rows.Count(r => r.Status == "failed");
            foreach (var waiting in rows.Where(r => r.Status is "pending" or "awaiting_receipt").Take(10))
                problems.Add($"envelope {waiting.Id} ({waiting.Type} {sender.Province}→{waiting.Receiver}, exchange {waiting.Correlation}) still {waiting.Status} at its sender");
            foreach (var group in rows.Where(r => r.Status == "delivered" && members.Contains(r.Receiver)).GroupBy(r => r.Receiver))
            {
                var ids = group.Select(r => r.Id).ToArray();
                delivered += ids.Length;
                var present = (await state.Db(group.Key).QueryAsync("SELECT message_id FROM inbox WHERE message_id = ANY(@ids)", r => r.GetString(0), ("ids", ids)))
                    .ToHashSet(StringComparer.Ordinal);
                foreach (var lost in group.Where(r => !present.Contains(r.Id)).Take(10))
                    problems.Add($"envelope {lost.Id} ({lost.Type} {sender.Province}→{lost.Receiver}, exchange {lost.Correlation}) acknowledged to its sender but not in {lost.Receiver}'s inbox");
            }
        }
        return InvariantResult.From(problems, $"{delivered} acknowledged envelopes found in their receivers' inboxes; {failed} failed visibly");
    }
}
