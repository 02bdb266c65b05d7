using Gateway.Contracts.Transfer.V1;

namespace Gateway.Harness.Simulation.Invariants;

/// <summary>
/// Every transfer the workload started is terminal on both sides (completed/acknowledged, letter returned, withdrawn)
/// and ended as planned, or is visibly held, failed or overdue with a reason an operator can act on.
/// </summary>
public sealed class TransfersSettled : IInvariant
{
    public string Name => nameof(TransfersSettled);
    public string Description => "every transfer terminal on both sides as planned, or visibly held, failed or overdue with a reason";

    public async Task<InvariantResult> CheckAsync(SimulationState state, CancellationToken ct)
    {
        var rows = await TransferRows.LoadAsync(state);
        // Withdrawn at the destination before its letter reached the origin: the origin keeps only this marker, no transfer row.
        var beforeLetter = new HashSet<(string, string)>();
        foreach (var node in state.Nodes)
            foreach (var id in await state.Db(node.Province).QueryAsync("SELECT transfer_id FROM withdrawn_before_letter", r => r.GetString(0)))
                beforeLetter.Add((node.Province, id));
        var problems = new List<string>();
        int terminal = 0, visible = 0, notStarted = 0;
        foreach (var run in state.Transfers.OrderBy(t => t.Index))
        {
            if (run.TransferId is null)
            {
                notStarted++;
                if (run.Error is { } e && (e.Contains("INTERNAL") || e.Contains("UNKNOWN")))
                    problems.Add($"transfer #{run.Index} ({run.Origin}→{run.Destination}) never started: {e}");
                continue;
            }
            var d = rows.GetValueOrDefault((run.Destination, run.TransferId));
            var o = rows.GetValueOrDefault((run.Origin, run.TransferId));
            var pair = (d?.State, o?.State);
            var settled = pair is ("Completed", "Acknowledged") or ("LetterReturned", "LetterReturned") or ("Withdrawn", "Withdrawn")
                || (pair == ("Withdrawn", null) && beforeLetter.Contains((run.Origin, run.TransferId)));
            if (settled)
            {
                var expected = run.Plan switch
                {
                    TransferPlan.Complete => d!.State == "Completed",
                    TransferPlan.LetterReturned => d!.State == "LetterReturned",
                    _ => d!.State is "Withdrawn" or "Completed", // a withdrawal the origin refused because it had acted
                };
                if (!expected)
                    problems.Add($"transfer {run.TransferId} ({run.Origin}→{run.Destination}) planned {run.Plan} ended {d!.State}" +
                        (d.ReturnReason is { } why ? $" ({why})" : ""));
                terminal++;
                continue;
            }
            if ((d?.Visible ?? false) || (o?.Visible ?? false))
            {
                visible++;
                continue;
            }
            if (d is not null && await OverdueAsync(state, run) is true)
            {
                visible++;
                continue;
            }
            problems.Add($"transfer {run.TransferId} ({run.Origin}→{run.Destination}, planned {run.Plan}): destination {d?.State ?? "has no row"}, origin {o?.State ?? "has no row"}; not terminal, held, failed or overdue");
        }
        foreach (var (status, count) in state.CallFailures.Where(f => f.Key.Contains("INTERNAL") || f.Key.Contains("UNKNOWN")))
            problems.Add($"{count} workload call(s) answered {status}: bad input or a fault is never INTERNAL/UNKNOWN");
        return InvariantResult.From(problems, $"{terminal} terminal on both sides, {visible} visibly held/failed/overdue, {notStarted} never started");
    }

    private static async Task<bool?> OverdueAsync(SimulationState state, TransferRun run)
    {
        try
        {
            var view = await new TransferService.TransferServiceClient(state.Cluster[run.Destination].Channel)
                .GetTransferAsync(new GetTransferRequest { TransferId = run.TransferId }, deadline: DateTime.UtcNow.AddSeconds(10));
            return view.Overdue;
        }
        catch (Grpc.Core.RpcException)
        {
            return null;
        }
    }
}
