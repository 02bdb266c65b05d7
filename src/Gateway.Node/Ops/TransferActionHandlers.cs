using System.Text.Json;
using Gateway.Contracts.Ops.V1;
using Gateway.Domain.Transfers;
using Gateway.Node.Application;
using Gateway.Node.Transfers;
using Gateway.Storage;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Npgsql;
using ProtoWorkItem = Gateway.Contracts.Transfer.V1.WorkItem;
using TransferState = Gateway.Domain.Transfers.TransferState;

namespace Gateway.Node.Ops;

/// <summary>
/// Releases a held transfer once the province system's books are corrected: the item whose answer caused the hold
/// is issued again (a new id that names the first item), so the corrected answer takes the normal path.
/// </summary>
public sealed class ReleaseHoldHandler(TransferSteps steps)
{
    public const string Released = "RELEASED", ReissuedPrefix = "REISSUED ";

    public static void Validate(ReleaseHoldRequest r)
    {
        var v = new List<(string, string)>();
        OpsInput.TransferId(r.TransferId, v);
        if (string.IsNullOrWhiteSpace(r.HoldCode)) v.Add(("hold_code", "Name the hold being released (the code before ':' in hold_reason)."));
        else if (r.HoldCode.Length > 64) v.Add(("hold_code", "At most 64 characters."));
        OpsInput.RequireActor(r.Operator, r.Reason, v);
        OpsInput.ThrowIfAny(v);
    }

    public async Task<ActionResult> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ReleaseHoldRequest r, CancellationToken ct)
    {
        var record = await steps.LoadForCallAsync(conn, tx, r.TransferId, ct);
        if (record.HoldReason is not { } hold)
            throw new RefusedException(OpsReasons.NotHeld, "The transfer is not held.");
        var code = hold.Split(':', 2)[0];
        if (code != r.HoldCode)
            throw new RefusedException(OpsReasons.HoldChanged, $"The transfer is held for {code} now, not {r.HoldCode}; look at it again.",
                new Dictionary<string, string> { ["hold_code"] = code });

        var transfer = record.ToDomain();
        var step = code switch
        {
            HoldCodes.AmountMismatch => Steps.Credit,
            HoldCodes.InvalidTableAfterDebit => Steps.BuildTable,
            _ => null, // an answer conflict: the first answer stands and the transfer goes on from where it is
        };
        string? reissued = null;
        if (step is not null)
        {
            var expected = step == Steps.Credit ? TransferEvent.Complete : TransferEvent.SendInfoTable;
            if (transfer.Check(expected) is { } refused)
                throw new RefusedException(OpsReasons.NothingToRelease, $"The transfer has moved on ({transfer.State}): {refused.Message}");
            reissued = await ReissueAsync(conn, tx, record.TransferId, step, hold, ct);
        }

        var now = steps.Clock.UtcNow;
        record.HoldReason = null;
        await steps.SaveAsync(conn, tx, record, transfer, ct);
        await TransferStore.AppendTimelineAsync(conn, tx, transfer.Id, "Released", steps.BusinessDay(transfer), now,
            TransferSteps.Bounded($"{code} released by {r.Operator}: {r.Reason}", 1_000), ct);
        var result = reissued is null ? Released : ReissuedPrefix + reissued;
        var auditId = await OpsQueries.AuditAsync(conn, tx, r.Operator, "transfer.release_hold", transfer.Id, r.Reason, result, transfer.Id,
            JsonSerializer.Serialize(new { hold, reissued_item = reissued }), now, ct);
        return new ActionResult
        {
            Result = reissued is null ? Released : "REISSUED",
            Detail = reissued is null ? "Hold cleared; the first answer stands." : $"Hold cleared; work item {reissued} asks the province system again.",
            AuditId = auditId,
        };
    }

    /// <summary>The step's latest item, issued again with a fresh id; <c>replaces_item_id</c> names the step's first item.</summary>
    private async Task<string> ReissueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string transferId, string step, string hold, CancellationToken ct)
    {
        var first = TransferSteps.ItemId(transferId, step);
        var reissues = (await OpsQueries.WorkItemsForTransferAsync(conn, transferId, ct)).Count(w => w.ItemId.StartsWith(first + ":r", StringComparison.Ordinal));
        var latest = reissues == 0 ? first : $"{first}:r{reissues}";
        var state = await WorkItemStore.GetAsync(conn, tx, latest, ct)
            ?? throw new RefusedException(OpsReasons.NothingToRelease, $"Work item {latest} is not at this node.");
        var item = ProtoWorkItem.Parser.ParseFrom(state.Item.Payload);
        var id = $"{first}:r{reissues + 1}";
        item.ItemId = id;
        item.CreatedAt = Timestamp.FromDateTimeOffset(steps.Clock.UtcNow);
        item.DeliveryCount = 0;
        item.ReissuedAfterHold = hold;
        item.ReplacesItemId = first;
        await WorkItemStore.AddAsync(conn, tx, new Storage.WorkItem(id, state.Item.Kind, transferId, item.ToByteArray(), steps.Clock.UtcNow, state.Item.TraceParent), ct);
        return id;
    }
}

/// <summary>
/// Ends a stuck exchange where no money can have moved, and tells the counterpart. The origin returns the letter while
/// its province system has not been handed the debit; the destination withdraws (or asks the origin to confirm).
/// </summary>
public sealed class CancelExchangeHandler(TransferSteps steps)
{
    public static void Validate(CancelExchangeRequest r)
    {
        var v = new List<(string, string)>();
        OpsInput.TransferId(r.TransferId, v);
        OpsInput.RequireActor(r.Operator, r.Reason, v);
        OpsInput.ThrowIfAny(v);
    }

    public async Task<ActionResult> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancelExchangeRequest r, CancellationToken ct)
    {
        var record = await steps.LoadForCallAsync(conn, tx, r.TransferId, ct);
        var transfer = record.ToDomain();
        if (transfer.IsTerminal)
            throw new RefusedException(OpsReasons.ExchangeEnded, $"The exchange has ended ({transfer.State}); there is nothing to cancel.",
                new Dictionary<string, string> { ["state"] = transfer.State.ToString() });
        if (record.HoldReason is not null)
            throw new RefusedException(OpsReasons.MoneyMayHaveMoved, "The transfer is held after money moved; release the hold once the books are corrected.");

        var today = steps.BusinessDay(transfer);
        var text = TransferSteps.Bounded($"Cancelled by operator {r.Operator}: {r.Reason}", 500);
        string result;
        if (record.IsOrigin)
        {
            // The table item reaching the province system is where money may move: cancel it first, or refuse.
            if (transfer.Check(TransferEvent.ReturnLetter) is not null
                || !await WorkItemFeed.CancelIfUndeliveredAsync(conn, tx, TransferSteps.ItemId(transfer.Id, Steps.BuildTable), ct))
                throw MoneyMayHaveMoved(transfer);
            await WorkItemStore.MarkCancelledAsync(conn, tx, TransferSteps.ItemId(transfer.Id, Steps.CheckOrigin), steps.Clock.UtcNow, ct);
            await steps.ReturnLetterAsync(conn, tx, record, transfer, ReturnReason.CancelledByOperator, text, today, ct);
            result = "LETTER_RETURNED";
        }
        else if (transfer.State == TransferState.Accepted)
        {
            TransferSteps.Apply(() => transfer.Withdraw(today));
            await steps.SaveAsync(conn, tx, record, transfer, ct);
            result = "WITHDRAWN";
        }
        else if (transfer.State == TransferState.WithdrawalRequested)
            throw new RefusedException(OpsReasons.CancelPending, "A withdrawal is already waiting for the origin's answer.");
        else if (transfer.Check(TransferEvent.RequestWithdrawal) is null)
        {
            transfer.RequestWithdrawal(today);
            await steps.SendAsync(conn, tx, transfer.Origin.Value, transfer.Id, Steps.WithdrawalRequest,
                new Contracts.Exchange.V1.WithdrawalRequested { TransferId = transfer.Id, Reason = text, RequestedOn = TransferSteps.Iso(today) }, ct);
            await steps.SaveAsync(conn, tx, record, transfer, ct);
            result = "WITHDRAWAL_REQUESTED";
        }
        else throw MoneyMayHaveMoved(transfer);

        var now = steps.Clock.UtcNow;
        var auditId = await OpsQueries.AuditAsync(conn, tx, r.Operator, "transfer.cancel", transfer.Id, r.Reason, result, transfer.Id,
            JsonSerializer.Serialize(new { role = record.Snapshot.Role.ToString(), state_before = record.Snapshot.State.ToString() }), now, ct);
        return new ActionResult
        {
            Result = result,
            Detail = result switch
            {
                "LETTER_RETURNED" => "The letter went back to the destination with CANCELLED_BY_OPERATOR; the certificate is free again.",
                "WITHDRAWN" => "Withdrawn before the letter left; nothing reached the origin.",
                _ => "The origin is asked to confirm; the transfer is withdrawn when it does (refused if it has acted meanwhile).",
            },
            AuditId = auditId,
        };
    }

    private static RefusedException MoneyMayHaveMoved(Domain.Transfers.Transfer transfer) =>
        new(OpsReasons.MoneyMayHaveMoved, $"The exchange is past the point where money may have moved ({transfer.State}); it can only be completed, or held and released.",
            new Dictionary<string, string> { ["state"] = transfer.State.ToString() });
}
