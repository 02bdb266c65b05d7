using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Records;
using Gateway.Domain.Values;

namespace Gateway.Harness.Simulation.Invariants;

/// <summary>
/// Every duplicate enrolment the workload created was found by the person's index province, names both records and a
/// resolution (seed 003 第二十三、二十四条), and each involved province's system took the finding up (work item answered).
/// </summary>
public sealed class DuplicatesFound : IInvariant
{
    public string Name => nameof(DuplicatesFound);
    public string Description => "every duplicate enrolment the workload created was found, with its resolution, and taken up by both provinces";

    public async Task<InvariantResult> CheckAsync(SimulationState state, CancellationToken ct)
    {
        var problems = new List<string>();
        var index = new IndexProvince(state.Nodes.Select(n => new ProvinceCode(n.Province)));
        var pairs = state.Duplicates.Select(p =>
        {
            var identity = IdentityNumber.Parse(p.Certno);
            return (Pair: p, Key: PersonKey.Of(identity).Value, At: index.For(identity).Value);
        }).ToList();
        // One query per index province and one per owner, not one per person: the long run makes ten thousand pairs.
        var rows = new List<(string At, string Key, string Id, string Resolution, DuplicateEnrolmentFinding Finding)>();
        foreach (var group in pairs.GroupBy(p => p.At))
            rows.AddRange(await state.Db(group.Key).QueryAsync("SELECT person_key, finding_id, resolution, document FROM duplicate_findings WHERE person_key = ANY(@k)",
                r => (group.Key, r.GetString(0), r.GetString(1), r.GetString(2), DuplicateEnrolmentFinding.Parser.ParseFrom(r.GetFieldValue<byte[]>(3))),
                ("k", group.Select(p => p.Key).Distinct().ToArray())));
        var findings = rows.ToLookup(r => (r.At, r.Key));
        // No finding naming both records: the default row, whose Id is null.
        var matched = pairs.Select(p => (p.Pair, p.At, Finding: findings[(p.At, p.Key)].FirstOrDefault(r =>
            r.Finding.Records.Any(x => x.RecordId == p.Pair.FirstRecordId) && r.Finding.Records.Any(x => x.RecordId == p.Pair.SecondRecordId)))).ToList();
        var owners = matched.Where(m => m.Finding.Id is not null)
            .SelectMany(m => new[] { m.Pair.FirstOwner, m.Pair.SecondOwner }.Distinct().Select(o => (Owner: o, Item: SyncDriver.DuplicateWorkItemId(m.Finding.Finding))))
            .Where(x => x.Owner != state.Scenario.ExternalSystem).ToList();
        var answered = new HashSet<(string, string)>();
        foreach (var group in owners.GroupBy(x => x.Owner))
            foreach (var id in await state.Db(group.Key).QueryAsync("SELECT item_id FROM work_items WHERE item_id = ANY(@ids) AND status = 'answered'",
                         r => r.GetString(0), ("ids", group.Select(x => x.Item).Distinct().ToArray())))
                answered.Add((group.Key, id));
        var found = 0;
        foreach (var (pair, at, finding) in matched)
        {
            var what = $"duplicate enrolment of person {SimulationState.Mask(pair.Certno)} ({pair.FirstOwner}:{pair.FirstRecordId} + {pair.SecondOwner}:{pair.SecondRecordId})";
            if (finding.Id is not { } findingId)
            {
                problems.Add($"{what}: not found at index province {at}");
                continue;
            }
            if (finding.Finding.Resolution == DuplicateResolution.Unspecified || string.IsNullOrWhiteSpace(finding.Resolution))
                problems.Add($"{what}: finding {findingId} has no resolution");
            foreach (var province in new[] { pair.FirstOwner, pair.SecondOwner }.Distinct().Where(p => p != state.Scenario.ExternalSystem))
                if (!answered.Contains((province, SyncDriver.DuplicateWorkItemId(finding.Finding))))
                    problems.Add($"{what}: finding {findingId} not taken up by province {province}'s system (work item not answered)");
            found++;
        }
        return InvariantResult.From(problems, $"{found} of {state.Duplicates.Count} duplicate enrolments found with a resolution");
    }
}
