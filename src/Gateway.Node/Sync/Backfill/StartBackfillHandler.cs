using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Values;
using Gateway.Node.Application;
using Gateway.Node.Infrastructure;
using Gateway.Storage;
using Npgsql;

namespace Gateway.Node.Sync.Backfill;

/// <summary>Starts a backfill run for the owners and kinds asked (default: every other member, every kind this node holds).</summary>
public sealed class StartBackfillHandler(BackfillStarter starter, ExchangeMembers members, NodeIdentity node)
{
    public const int MaxReasonLength = 200;
    /// <summary>The API's bound on owner_provinces (duplicates count: the request is refused, not trimmed).</summary>
    public const int MaxOwners = 64;

    public async Task<BackfillRun> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, StartBackfillRequest request, CancellationToken ct)
    {
        var violations = new List<(string, string)>();
        if (request.OwnerProvinces.Count > MaxOwners)
            violations.Add(("owner_provinces", $"at most {MaxOwners} entries (has {request.OwnerProvinces.Count})"));
        for (var i = 0; i < Math.Min(request.OwnerProvinces.Count, MaxOwners); i++)
        {
            var owner = request.OwnerProvinces[i];
            if (new ProvinceCode(owner).Check() is { } problem) violations.Add(($"owner_provinces[{i}]", problem));
            else if (owner == node.Province) violations.Add(($"owner_provinces[{i}]", "this node's own province: it is the owner of its records"));
            else if (!members.Contains(owner)) violations.Add(($"owner_provinces[{i}]", $"province {owner} is not a member of this exchange (Gateway:ExchangeProvinces)"));
        }
        for (var i = 0; i < request.Kinds.Count; i++)
            if (!starter.Kinds.Contains(request.Kinds[i]))
                violations.Add(($"kinds[{i}]", $"one of: {string.Join(", ", starter.Kinds)}"));
        if (string.IsNullOrWhiteSpace(request.Reason)) violations.Add(("reason", "Say why the backfill runs (operators see it)."));
        else if (request.Reason.Length > MaxReasonLength) violations.Add(("reason", $"at most {MaxReasonLength} characters"));
        if (violations.Count > 0) throw new InvalidRequestException(violations);
        if (starter.Kinds.Count == 0) throw new RefusedException("NOTHING_TO_BACKFILL", "This node holds no synced records of any kind.");

        var owners = request.OwnerProvinces.Count == 0 ? starter.Owners : request.OwnerProvinces.Distinct().ToList();
        var kinds = request.Kinds.Count == 0 ? starter.Kinds : request.Kinds.Distinct().ToList();
        var runId = await starter.StartAsync(conn, tx, owners, kinds, request.Reason.Trim(), ct);
        return BackfillViews.View(new BackfillRunRow(runId, default, request.Reason.Trim(),
            owners.SelectMany(o => kinds.Select(k => new BackfillProgressRow(runId, o, k, 0, "", 0, 0, 0, false, false, default))).ToList()));
    }
}

public static class BackfillViews
{
    public static BackfillRun View(BackfillRunRow row)
    {
        var run = new BackfillRun
        {
            RunId = row.RunId,
            Reason = row.Reason,
            Done = row.Progress.Count > 0 && row.Progress.All(p => p.Done),
            RecordsApplied = row.Progress.Sum(p => p.RecordsApplied),
            RecordsReceived = row.Progress.Sum(p => p.RecordsReceived),
        };
        if (row.StartedAt != default) run.StartedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(row.StartedAt);
        // One line per owner and kind: its slices summed (each slice pages its own range of person keys).
        run.Progress.AddRange(row.Progress.GroupBy(p => (p.OwnerProvince, p.Kind)).Select(g =>
        {
            var done = g.All(p => p.Done);
            var view = new BackfillProgress
            {
                OwnerProvince = g.Key.OwnerProvince,
                Kind = g.Key.Kind,
                Pages = g.Sum(p => p.Pages),
                RecordsReceived = g.Sum(p => p.RecordsReceived),
                RecordsApplied = g.Sum(p => p.RecordsApplied),
                Done = done,
                State = g.Any(p => p.KindUnknown) ? "owner keeps no such records" : done ? "done" : "waiting for the owner",
            };
            var updated = g.Max(p => p.UpdatedAt);
            if (updated != default) view.UpdatedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(updated);
            return view;
        }));
        return run;
    }
}
