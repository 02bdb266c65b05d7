using Gateway.Contracts.Sync.V1;

namespace Gateway.Harness.Simulation.Invariants;

/// <summary>
/// Every record replica equals its owner's current version and content: a filing is held, at the owner's version and
/// with the owner's document, by its province of care and by no other province (a tombstone elsewhere is fine); an
/// enrolment record is held by the person's index province at the owner's version and content.
/// </summary>
public sealed class ReplicasMatchOwner : IInvariant
{
    public string Name => nameof(ReplicasMatchOwner);
    public string Description => "filing and enrolment replicas equal the owner's version and content; no filing where it should not be";

    private sealed record Row(string Owner, string Id, long Version, string? Destination, bool Removed, byte[] Document);

    public async Task<InvariantResult> CheckAsync(SimulationState state, CancellationToken ct)
    {
        var problems = new List<string>();
        var filings = new Dictionary<string, List<Row>>(StringComparer.Ordinal);
        var enrolments = new Dictionary<string, List<Row>>(StringComparer.Ordinal);
        foreach (var node in state.Nodes)
        {
            var db = state.Db(node.Province);
            filings[node.Province] = await db.QueryAsync("SELECT owner_province, filing_id, version, destination_province, removed, document FROM filings",
                r => new Row(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetBoolean(4), r.GetFieldValue<byte[]>(5)));
            enrolments[node.Province] = await db.QueryAsync("SELECT owner_province, record_id, version, index_province, false, document FROM enrolment_records",
                r => new Row(r.GetString(0), r.GetString(1), r.GetInt64(2), HarnessDb.Str(r, 3), false, r.GetFieldValue<byte[]>(5)));
        }
        long filingReplicas = 0, enrolmentReplicas = 0;
        foreach (var node in state.Nodes)
        {
            var owned = filings[node.Province].Where(f => f.Owner == node.Province).ToList();
            foreach (var other in state.Nodes.Where(n => n.Province != node.Province))
            {
                var held = filings[other.Province].Where(f => f.Owner == node.Province).ToDictionary(f => f.Id, StringComparer.Ordinal);
                foreach (var own in owned)
                {
                    held.TryGetValue(own.Id, out var replica);
                    var shouldHold = !own.Removed && own.Destination == other.Province;
                    if (shouldHold)
                    {
                        filingReplicas++;
                        if (replica is null || replica.Removed)
                            problems.Add($"filing {own.Owner}:{own.Id} v{own.Version}: its province of care {other.Province} {(replica is null ? "does not hold it" : $"holds only a tombstone (v{replica.Version})")}");
                        else if (replica.Version != own.Version)
                            problems.Add($"filing {own.Owner}:{own.Id}: {other.Province} holds v{replica.Version}, the owner is at v{own.Version}");
                        else if (!Filing.Parser.ParseFrom(replica.Document).Equals(Filing.Parser.ParseFrom(own.Document)))
                            problems.Add($"filing {own.Owner}:{own.Id} v{own.Version}: {other.Province}'s copy differs from the owner's document at the same version");
                    }
                    else if (replica is { Removed: false })
                        problems.Add($"filing {own.Owner}:{own.Id} v{own.Version} (province of care {own.Destination}) is held at {other.Province}, which should not hold it");
                }
                foreach (var stray in held.Values.Where(r => !r.Removed && owned.All(o => o.Id != r.Id)))
                    problems.Add($"filing {stray.Owner}:{stray.Id} is held at {other.Province} but its owner has no such filing");
            }

            var members = state.Nodes.Select(n => n.Province).ToHashSet(StringComparer.Ordinal);
            foreach (var own in enrolments[node.Province].Where(e => e.Owner == node.Province && e.Destination is { } i && i != node.Province && members.Contains(i)))
            {
                enrolmentReplicas++;
                var replica = enrolments[own.Destination!].FirstOrDefault(e => e.Owner == own.Owner && e.Id == own.Id);
                if (replica is null)
                    problems.Add($"enrolment record {own.Owner}:{own.Id} v{own.Version}: its index province {own.Destination} does not hold it");
                else if (replica.Version != own.Version)
                    problems.Add($"enrolment record {own.Owner}:{own.Id}: index province {own.Destination} holds v{replica.Version}, the owner is at v{own.Version}");
                else if (!EnrolmentRecord.Parser.ParseFrom(replica.Document).Equals(EnrolmentRecord.Parser.ParseFrom(own.Document)))
                    problems.Add($"enrolment record {own.Owner}:{own.Id} v{own.Version}: the index province's copy differs from the owner's");
            }
        }
        return InvariantResult.From(problems, $"{filingReplicas} filing replicas and {enrolmentReplicas} enrolment replicas compared with their owners");
    }
}
