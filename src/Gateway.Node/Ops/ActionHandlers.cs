using System.Text.Json;
using Gateway.Contracts.Ops.V1;
using Gateway.Node.Application;
using Gateway.Node.Infrastructure;
using Gateway.Storage;
using Npgsql;

namespace Gateway.Node.Ops;

/// <summary>Re-sends one failed outbound envelope from the outbox with a fresh budget.</summary>
public sealed class ResendOutboundHandler(BusinessClock clock)
{
    public static void Validate(ResendOutboundRequest r)
    {
        var v = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(r.MessageId)) v.Add(("message_id", "Name the envelope."));
        OpsInput.RequireActor(r.Operator, r.Reason, v);
        OpsInput.ThrowIfAny(v);
    }

    public async Task<ActionResult> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ResendOutboundRequest r, CancellationToken ct)
    {
        var row = await OutboxStore.GetAsync(conn, tx, r.MessageId, ct) ?? throw new NotFoundException("No such outbound envelope at this node.");
        if (row.Status != OutboxStatus.Failed)
            throw new RefusedException(OpsReasons.NotFailed, $"Only a failed envelope is re-sent; this one is {row.Status}.",
                new Dictionary<string, string> { ["status"] = row.Status.ToString() });
        var now = clock.UtcNow;
        await OpsQueries.RequeueAsync(conn, tx, [r.MessageId], now, ct);
        var auditId = await OpsQueries.AuditAsync(conn, tx, r.Operator, "outbox.resend", r.MessageId, r.Reason, "REQUEUED", row.CorrelationId,
            JsonSerializer.Serialize(new { message_type = row.MessageType, receiver = row.Receiver, attempts_before = row.Attempts }), now, ct);
        return new ActionResult { Result = "REQUEUED", Detail = "Back to pending with a fresh retry budget.", AuditId = auditId };
    }
}

/// <summary>Re-sends every failed envelope for a counterpart created in a range (at most <see cref="OpsInput.MaxBulk"/> a call).</summary>
public sealed class ResendFailedHandler(BusinessClock clock)
{
    public static (DateTimeOffset From, DateTimeOffset To, string? Counterpart) Validate(ResendFailedRequest r)
    {
        var v = new List<(string, string)>();
        var counterpart = OpsInput.Province(r.CounterpartProvince, "counterpart_province", v);
        var (from, to) = OpsInput.Range(r.Created, "created", true, v);
        OpsInput.RequireActor(r.Operator, r.Reason, v);
        OpsInput.ThrowIfAny(v);
        return (from!.Value, to!.Value, counterpart);
    }

    public async Task<BulkActionResult> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ResendFailedRequest r, CancellationToken ct)
    {
        var (from, to, counterpart) = Validate(r);
        var ids = await OpsQueries.LockFailedAsync(conn, tx, counterpart, from, to, OpsInput.MaxBulk + 1, ct);
        var batch = ids.Take(OpsInput.MaxBulk).ToList();
        var now = clock.UtcNow;
        var requeued = await OpsQueries.RequeueAsync(conn, tx, batch, now, ct);
        var auditId = await OpsQueries.AuditAsync(conn, tx, r.Operator, "outbox.resend_failed", counterpart, r.Reason, $"REQUEUED {requeued}", null,
            JsonSerializer.Serialize(new { counterpart, from = from.ToUniversalTime(), to = to.ToUniversalTime(), matched = batch.Count, requeued }), now, ct);
        return new BulkActionResult { Matched = batch.Count, Succeeded = requeued, Failed = batch.Count - requeued, AuditId = auditId, More = ids.Count > OpsInput.MaxBulk };
    }
}

/// <summary>Re-applies one dead-lettered inbound envelope through the inbox's apply path.</summary>
public sealed class ReapplyDeadLetterHandler(DeadLetterReapplier reapplier)
{
    public static void Validate(ReapplyDeadLetterRequest r)
    {
        var v = new List<(string, string)>();
        if (r.DeadLetterId <= 0) v.Add(("dead_letter_id", "Name the dead letter (a positive id)."));
        OpsInput.RequireActor(r.Operator, r.Reason, v);
        OpsInput.ThrowIfAny(v);
    }

    public async Task<ActionResult> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ReapplyDeadLetterRequest r, CancellationToken ct)
    {
        var row = await OpsQueries.LockDeadLetterAsync(conn, tx, r.DeadLetterId, ct) ?? throw new NotFoundException("No such dead letter at this node.");
        if (DeadLetterReapplier.Refusal(row, reapplier.Self, out var envelope) is { } refusal)
            throw new RefusedException(refusal.Code, refusal.Message);
        return await reapplier.ReapplyAsync(conn, tx, row, envelope!, r.Operator, r.Reason, "dead_letter.reapply", ct);
    }
}

/// <summary>Re-applies the dead letters first seen in a range that match the filter; those that may not be re-run are counted as failed.</summary>
public sealed class ReapplyDeadLettersHandler(DeadLetterReapplier reapplier, BusinessClock clock)
{
    private const string TokenTag = "reapply";

    public static (DateTimeOffset From, DateTimeOffset To, OpsCursor? After) Validate(ReapplyDeadLettersRequest r)
    {
        var v = new List<(string, string)>();
        var (from, to) = OpsInput.Range(r.FirstSeen, "first_seen", true, v);
        var after = OpsInput.Cursor(r.PageToken, TokenTag, v, numericKey: true);
        OpsInput.RequireActor(r.Operator, r.Reason, v);
        OpsInput.ThrowIfAny(v);
        return (from!.Value, to!.Value, after);
    }

    public async Task<BulkActionResult> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ReapplyDeadLettersRequest r, CancellationToken ct)
    {
        var (from, to, after) = Validate(r);
        var rows = await OpsQueries.DeadLettersAsync(conn, tx, from, to, r.ReasonPrefix.Length == 0 ? null : r.ReasonPrefix, after, OpsInput.MaxBulk + 1, ct);
        var result = new BulkActionResult { More = rows.Count > OpsInput.MaxBulk };
        // The next call goes on after the last dead letter this one reached (re-applied ones stay listed).
        if (result.More)
        {
            var last = rows[OpsInput.MaxBulk - 1];
            result.NextPageToken = OpsInput.Token(TokenTag, new OpsCursor(last.FirstSeenAt, last.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        foreach (var row in rows.Take(OpsInput.MaxBulk))
        {
            var refusal = DeadLetterReapplier.Refusal(row, reapplier.Self, out var envelope);
            if (r.MessageType.Length > 0 && envelope?.MessageType != r.MessageType) continue;
            result.Matched++;
            if (refusal is not null) { result.Failed++; continue; }
            var one = await reapplier.ReapplyAsync(conn, tx, (await OpsQueries.LockDeadLetterAsync(conn, tx, row.Id, ct))!, envelope!, r.Operator, r.Reason,
                "dead_letter.reapply", ct);
            if (one.Result == DeadLetterReapplier.Applied) result.Succeeded++;
            else if (one.Result == DeadLetterReapplier.AlreadyApplied) result.AlreadyDone++;
            else result.Failed++;
        }
        result.AuditId = await OpsQueries.AuditAsync(conn, tx, r.Operator, "dead_letter.reapply_range", null, r.Reason,
            $"APPLIED {result.Succeeded}, ALREADY_APPLIED {result.AlreadyDone}, FAILED {result.Failed}", null,
            JsonSerializer.Serialize(new { from = from.ToUniversalTime(), to = to.ToUniversalTime(), reason_prefix = r.ReasonPrefix, message_type = r.MessageType, matched = result.Matched }),
            clock.UtcNow, ct);
        return result;
    }
}

/// <summary>Flags a dead letter never to be re-run, with the operator's reason.</summary>
public sealed class MarkNeverRerunHandler(BusinessClock clock)
{
    public static void Validate(MarkNeverRerunRequest r)
    {
        var v = new List<(string, string)>();
        if (r.DeadLetterId <= 0) v.Add(("dead_letter_id", "Name the dead letter (a positive id)."));
        OpsInput.RequireActor(r.Operator, r.Reason, v);
        OpsInput.ThrowIfAny(v);
    }

    public async Task<ActionResult> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, MarkNeverRerunRequest r, CancellationToken ct)
    {
        var row = await OpsQueries.LockDeadLetterAsync(conn, tx, r.DeadLetterId, ct) ?? throw new NotFoundException("No such dead letter at this node.");
        if (row.NeverRerun) throw new RefusedException(OpsReasons.AlreadyNeverRerun, "This dead letter is already marked never to be re-run.");
        await OpsQueries.SetNeverRerunAsync(conn, tx, row.Id, ct);
        var auditId = await OpsQueries.AuditAsync(conn, tx, r.Operator, "dead_letter.never_rerun", row.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            r.Reason, "MARKED", row.Key, JsonSerializer.Serialize(new { message_id = row.MessageId }), clock.UtcNow, ct);
        return new ActionResult { Result = "MARKED", Detail = "Never re-run.", AuditId = auditId };
    }
}

/// <summary>Makes a pending work item due again: the next poll of an open stream hands it to the province system.</summary>
public sealed class RedeliverWorkItemHandler(BusinessClock clock)
{
    public static void Validate(RedeliverWorkItemRequest r)
    {
        var v = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(r.ItemId)) v.Add(("item_id", "Name the work item."));
        OpsInput.RequireActor(r.Operator, r.Reason, v);
        OpsInput.ThrowIfAny(v);
    }

    public async Task<ActionResult> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, RedeliverWorkItemRequest r, CancellationToken ct)
    {
        var before = await OpsQueries.RedeliverWorkItemAsync(conn, tx, r.ItemId, ct) ?? throw new NotFoundException("No such work item at this node.");
        if (before != "pending")
            throw new RefusedException(OpsReasons.WorkItemNotPending, $"Only a pending work item is re-delivered; this one is {before}.",
                new Dictionary<string, string> { ["status"] = before });
        var auditId = await OpsQueries.AuditAsync(conn, tx, r.Operator, "work_item.redeliver", r.ItemId, r.Reason, "REDELIVERED",
            await OpsQueries.WorkItemTransferAsync(conn, tx, r.ItemId, ct), null, clock.UtcNow, ct);
        return new ActionResult { Result = "REDELIVERED", Detail = "Due on the next poll of an open work-item stream.", AuditId = auditId };
    }
}
