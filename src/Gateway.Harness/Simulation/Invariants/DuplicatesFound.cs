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
        var found = 0;
        foreach (var pair in state.Duplicates)
        {
            var identity = IdentityNumber.Parse(pair.Certno);
            var key = PersonKey.Of(identity).Value;
            var at = index.For(identity).Value;
            var rows = await state.Db(at).QueryAsync("SELECT finding_id, resolution, document FROM duplicate_findings WHERE person_key = @k",
                r => (Id: r.GetString(0), Resolution: r.GetString(1), Finding: DuplicateEnrolmentFinding.Parser.ParseFrom(r.GetFieldValue<byte[]>(2))), ("k", key));
            var what = $"duplicate enrolment of person {SimulationState.Mask(pair.Certno)} ({pair.FirstOwner}:{pair.FirstRecordId} + {pair.SecondOwner}:{pair.SecondRecordId})";
            var finding = rows.FirstOrDefault(r => r.Finding.Records.Any(x => x.RecordId == pair.FirstRecordId) && r.Finding.Records.Any(x => x.RecordId == pair.SecondRecordId));
            if (finding.Id is null)
            {
                problems.Add($"{what}: not found at index province {at}");
                continue;
            }
            if (finding.Finding.Resolution == DuplicateResolution.Unspecified || string.IsNullOrWhiteSpace(finding.Resolution))
                problems.Add($"{what}: finding {finding.Id} has no resolution");
            foreach (var province in new[] { pair.FirstOwner, pair.SecondOwner }.Distinct().Where(p => p != state.Scenario.ExternalSystem))
            {
                var taken = await state.Db(province).CountAsync("SELECT count(*) FROM work_items WHERE item_id = @id AND status = 'answered'",
                    ("id", SyncDriver.DuplicateWorkItemId(finding.Finding)));
                if (taken == 0) problems.Add($"{what}: finding {finding.Id} not taken up by province {province}'s system (work item not answered)");
            }
            found++;
        }
        return InvariantResult.From(problems, $"{found} of {state.Duplicates.Count} duplicate enrolments found with a resolution");
    }
}
