using Gateway.Contracts.Ops.V1;
using Gateway.Domain.Transfers;
using Condition = Gateway.Contracts.Ops.V1.Condition;
using Gateway.Node.Application;
using Gateway.Node.Infrastructure;
using Gateway.Node.Transfers;
using Gateway.Storage;
using Npgsql;

namespace Gateway.Node.Ops;

/// <summary>One condition's list, in (created_at, key) order, by keyset over the condition's partial index.</summary>
public sealed class ListExchangesHandler(NodeDatabase db, TransferViews views, BusinessClock clock)
{
    /// <summary>Open transfers one OVERDUE call checks at most (overdue is computed from the calendar); the token resumes.</summary>
    public const int MaxScannedPerCall = 2_000;
    private static readonly string[] Steps = ["LETTER", "INFO_TABLE", "BALANCE", "COMPLETION", "OVERALL"];

    public Task<ListExchangesResponse> HandleAsync(ListExchangesRequest request, CancellationToken ct)
    {
        var violations = new List<(string, string)>();
        if (request.Condition == Condition.Unspecified || !System.Enum.IsDefined(request.Condition))
            violations.Add(("condition", "Name one condition."));
        var size = OpsInput.PageSize(request.PageSize, violations);
        var counterpart = OpsInput.Province(request.CounterpartProvince, "counterpart_province", violations);
        var (from, to) = OpsInput.Range(request.Created, "created", false, violations);
        if (request.Step.Length > 0 && !Steps.Contains(request.Step)) violations.Add(("step", "One of " + string.Join(", ", Steps) + "."));
        if (request.Step.Length > 0 && request.Condition != Condition.Overdue) violations.Add(("step", "Only for OVERDUE."));
        if (request.WaitingSeconds < 0) violations.Add(("waiting_seconds", "Not negative (0 means 3600)."));
        var tag = request.Condition.ToString();
        var after = OpsInput.Cursor(request.PageToken, tag, violations,
            numericKey: request.Condition is Condition.Failed or Condition.WaitingOnCounterpart);
        OpsInput.ThrowIfAny(violations);

        return db.WithConnectionAsync(async (conn, token) =>
        {
            var response = new ListExchangesResponse();
            OpsCursor? next = null;
            switch (request.Condition)
            {
                case Condition.Failed or Condition.WaitingOnCounterpart:
                    var rows = await OpsQueries.EnvelopesAsync(conn, request.Condition == Condition.Failed ? "failed" : "awaiting_receipt",
                        counterpart, from, to, after, size + 1, token);
                    foreach (var r in rows.Take(size))
                        response.Entries.Add(new ExchangeEntry
                        {
                            Condition = request.Condition, TransferId = r.CorrelationId ?? "", CounterpartProvince = r.Receiver,
                            CreatedAt = OpsInput.Time(r.CreatedAt), MessageId = r.MessageId, MessageType = r.MessageType,
                            Attempts = r.Attempts, LastError = r.LastError ?? "",
                        });
                    if (rows.Count > size) next = new OpsCursor(rows[size - 1].CreatedAt, rows[size - 1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case Condition.WaitingOnProvinceSystem:
                    var threshold = TimeSpan.FromSeconds(request.WaitingSeconds == 0 ? 3600 : request.WaitingSeconds);
                    var items = await OpsQueries.WaitingWorkItemsAsync(conn, clock.UtcNow - threshold, from, to, after, size + 1, token);
                    foreach (var w in items.Take(size))
                        response.Entries.Add(new ExchangeEntry
                        {
                            Condition = request.Condition, TransferId = w.TransferId ?? "", CreatedAt = OpsInput.Time(w.CreatedAt),
                            WorkItemId = w.ItemId, WorkItemKind = w.Kind, DeliveryCount = w.DeliveryCount,
                        });
                    if (items.Count > size) next = new OpsCursor(items[size - 1].CreatedAt, items[size - 1].ItemId);
                    break;
                case Condition.Held or Condition.Returned:
                    var held = await OpsQueries.TransfersAsync(conn, request.Condition == Condition.Held ? OpsQueries.TransferCondition.Held : OpsQueries.TransferCondition.Returned,
                        counterpart, from, to, after, size + 1, token);
                    foreach (var t in held.Take(size)) response.Entries.Add(TransferEntry(request.Condition, t));
                    if (held.Count > size) next = new OpsCursor(held[size - 1].CreatedAt, held[size - 1].Record.TransferId);
                    break;
                default:
                    next = await OverdueAsync(conn, request, counterpart, from, to, after, size, response, token);
                    break;
            }
            response.NextPageToken = OpsInput.Token(tag, next);
            return response;
        }, ct);
    }

    /// <summary>Open transfers, each checked against the calendar at the node's business date; bounded per call.</summary>
    private async Task<OpsCursor?> OverdueAsync(NpgsqlConnection conn, ListExchangesRequest request, string? counterpart, DateTimeOffset? from,
        DateTimeOffset? to, OpsCursor? after, int size, ListExchangesResponse response, CancellationToken ct)
    {
        var scanned = 0;
        while (scanned < MaxScannedPerCall)
        {
            var page = await OpsQueries.TransfersAsync(conn, OpsQueries.TransferCondition.Open, counterpart, from, to, after, Math.Min(200, MaxScannedPerCall - scanned), ct);
            foreach (var row in page)
            {
                scanned++;
                after = new OpsCursor(row.CreatedAt, row.Record.TransferId);
                var view = views.View(row.Record);
                var overdue = view.Deadlines.Where(d => d.Overdue && (request.Step.Length == 0 || d.Step == request.Step)).ToList();
                if (overdue.Count == 0) continue;
                var entry = TransferEntry(Condition.Overdue, row);
                entry.Overdue.AddRange(overdue.Select(d => new OverdueStep
                {
                    Step = d.Step, DueOn = d.DueOn, GoverningProvince = d.GoverningProvince, WorkingDays = d.WorkingDays, Calendar = d.Calendar,
                }));
                response.Entries.Add(entry);
                if (response.Entries.Count == size) return after;
            }
            if (page.Count < Math.Min(200, MaxScannedPerCall - (scanned - page.Count))) return null; // the open transfers end here
        }
        return after; // the scan bound: the token resumes where this call stopped
    }

    private static ExchangeEntry TransferEntry(Condition condition, OpsTransferRow row) => new()
    {
        Condition = condition,
        TransferId = row.Record.TransferId,
        CounterpartProvince = row.Record.CounterpartProvince,
        TransferState = row.Record.Snapshot.State.ToString(),
        CreatedAt = OpsInput.Time(row.CreatedAt),
        Reason = condition == Condition.Held ? row.Record.HoldReason ?? "" :
                 condition == Condition.Returned ? $"{row.Record.Snapshot.ReturnReason?.Code()} {row.Record.Snapshot.ReturnText}".Trim() : "",
    };
}
