namespace Gateway.Harness.Simulation.Invariants;

/// <summary>Every mutating call a node answered OK is in that node's database: its row, at least at the version answered, and its idempotency key.</summary>
public sealed class AnsweredCallsKept : IInvariant
{
    public string Name => nameof(AnsweredCallsKept);
    public string Description => "every call answered OK is in the node's database (its row and its idempotency key)";

    public async Task<InvariantResult> CheckAsync(SimulationState state, CancellationToken ct)
    {
        var problems = new List<string>();
        foreach (var group in state.Answered.GroupBy(a => a.Province))
        {
            var db = state.Db(group.Key);
            var keys = (await db.QueryAsync("SELECT key FROM idempotency_keys WHERE key = ANY(@k)", r => r.GetString(0), ("k", group.Select(a => a.IdempotencyKey).ToArray())))
                .ToHashSet(StringComparer.Ordinal);
            var certificates = (await db.QueryAsync("SELECT number FROM certificates", r => r.GetString(0))).ToHashSet(StringComparer.Ordinal);
            var transfers = (await db.QueryAsync("SELECT transfer_id FROM transfers", r => r.GetString(0))).ToHashSet(StringComparer.Ordinal);
            var filings = (await db.QueryAsync("SELECT owner_province || ':' || filing_id, version FROM filings WHERE owner_province = @p",
                r => (r.GetString(0), r.GetInt64(1)), ("p", group.Key))).ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
            var records = (await db.QueryAsync("SELECT owner_province || ':' || record_id, version FROM enrolment_records WHERE owner_province = @p",
                r => (r.GetString(0), r.GetInt64(1)), ("p", group.Key))).ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
            foreach (var call in group)
            {
                var kept = call.Method switch
                {
                    "IssueCertificate" => certificates.Contains(call.Entity),
                    "SubmitApplication" or "WithdrawTransfer" => transfers.Contains(call.Entity),
                    "PublishEnrolment" => records.GetValueOrDefault(call.Entity) >= call.Version,
                    _ => filings.GetValueOrDefault(call.Entity) >= call.Version,
                };
                if (!kept) problems.Add($"{call.Method} at {call.Province} answered OK ({call.Entity}{(call.Version > 0 ? $" v{call.Version}" : "")}) but the node has no such row");
                if (!keys.Contains(call.IdempotencyKey)) problems.Add($"{call.Method} at {call.Province} answered OK ({call.Entity}) but its idempotency key {call.IdempotencyKey} is not recorded");
            }
        }
        return InvariantResult.From(problems, $"{state.Answered.Count} answered calls found in their nodes' databases");
    }
}
