using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Domain.Transfers;
using Gateway.Node.Application;
using Gateway.Node.Exchange;
using Gateway.Node.Infrastructure;
using Gateway.Storage;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Npgsql;
using DomainTransfer = Gateway.Domain.Transfers.Transfer;
using WorkItem = Gateway.Contracts.Transfer.V1.WorkItem;
using TransferRole = Gateway.Domain.Transfers.TransferRole;

namespace Gateway.Node.Transfers;

/// <summary>
/// What every transfer handler does with a loaded copy: save it, send an envelope, hand the province system a work
/// item, return a letter, hold for operators. All inside the caller's transaction, so a state change, its work items
/// and its envelopes commit together or not at all. The domain decides; this class loads, applies and stores.
/// </summary>
public sealed class TransferSteps(NodeIdentity node, BusinessClock clock, EnvelopeFactory envelopes, ILogger<TransferSteps> logger)
{
    public NodeIdentity Node => node;
    public BusinessClock Clock => clock;

    public async Task<TransferRecord> LoadForCallAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string transferId, CancellationToken ct) =>
        await TransferStore.FindAsync(conn, tx, transferId, forUpdate: true, ct)
        ?? throw new NotFoundException($"No transfer '{transferId}' at node {node.Province}.");

    /// <summary>Loads this node's copy for an envelope, which must come from the copy's counterpart and fit its role.</summary>
    public async Task<(TransferRecord Record, DomainTransfer Transfer)> LoadForInboundAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, string transferId, Envelope envelope, TransferRole expectedRole, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(transferId) || transferId != envelope.CorrelationId)
            throw new PoisonMessageException($"{envelope.MessageType} names transfer '{Short(transferId)}' but its envelope correlates '{Short(envelope.CorrelationId)}'.");
        var record = await TransferStore.FindAsync(conn, tx, transferId, forUpdate: true, ct)
            ?? throw new PoisonMessageException($"{envelope.MessageType} for unknown transfer '{transferId}'.");
        if (record.CounterpartProvince != envelope.SenderProvince)
            throw new UntrustedEnvelopeException(TrustCodes.SenderMismatch,
                $"{envelope.MessageType} came from {envelope.SenderProvince}, not from the transfer's counterpart {record.CounterpartProvince}.");
        if (record.Snapshot.Role != expectedRole)
            throw new PoisonMessageException($"{envelope.MessageType} is for the {expectedRole} copy; this node holds the {record.Snapshot.Role} copy.");
        return (record, record.ToDomain());
    }

    public async Task SaveAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TransferRecord record, DomainTransfer transfer, CancellationToken ct)
    {
        record.Snapshot = transfer.ToSnapshot();
        await TransferStore.UpdateAsync(conn, tx, record, ct);
    }

    public Task SendAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string receiver, string transferId, string step, IMessage payload,
        CancellationToken ct, string? causationId = null) =>
        Outbound.EnqueueAsync(conn, tx, envelopes.Create(receiver, transferId, step, payload, causationId), ct);

    public async Task AddWorkItemAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TransferRecord record, WorkItemKind kind, string step,
        Action<WorkItem, ContactLetterSent>? fill, CancellationToken ct)
    {
        var letter = ContactLetterSent.Parser.ParseFrom(record.Letter);
        var item = new WorkItem
        {
            ItemId = ItemId(record.TransferId, step),
            Kind = kind,
            TransferId = record.TransferId,
            CreatedAt = Timestamp.FromDateTimeOffset(clock.UtcNow),
            Person = letter.Letter?.Person ?? letter.Certificate?.Person,
            CertificateNumber = record.CertificateNumber,
            Insutype = letter.Letter?.Insutype ?? Contracts.Transfer.V1.InsuranceType.Unspecified,
            CounterpartProvince = record.CounterpartProvince,
        };
        fill?.Invoke(item, letter);
        await WorkItemStore.AddAsync(conn, tx, new Storage.WorkItem(item.ItemId, kind.ToString(), record.TransferId, item.ToByteArray(), clock.UtcNow,
            Telemetry.GatewayTelemetry.CurrentTraceParent()), ct);
    }

    /// <summary>Origin returns the letter: state change, the certificate freed, and the notice to the destination, together.</summary>
    public async Task ReturnLetterAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TransferRecord record, DomainTransfer transfer,
        ReturnReason reason, string text, DateOnly today, CancellationToken ct)
    {
        Apply(() => transfer.ReturnLetter(reason, text, today));
        await SaveAsync(conn, tx, record, transfer, ct);
        await TransferStore.ReleaseCertificateAsync(conn, tx, transfer.Id, ct);
        await SendAsync(conn, tx, record.CounterpartProvince, transfer.Id, Steps.LetterReturned,
            new LetterReturned { TransferId = transfer.Id, ReasonCode = reason.Code(), Reason = text, ReturnedOn = Iso(today) }, ct);
        logger.LogInformation("Transfer {TransferId}: letter returned to {Destination} ({Reason})", transfer.Id, record.CounterpartProvince, reason.Code());
    }

    /// <summary>Holds the transfer for operators: the province system's books and the exchange disagree, or an answer cannot be used.</summary>
    public async Task HoldAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TransferRecord record, DomainTransfer transfer,
        string code, string detail, DateOnly today, CancellationToken ct)
    {
        record.HoldReason = Bounded($"{code}: {detail}", 1_000);
        await SaveAsync(conn, tx, record, transfer, ct);
        await TransferStore.AppendTimelineAsync(conn, tx, transfer.Id, "Held", today, clock.UtcNow, record.HoldReason, ct);
        logger.LogError("Transfer {TransferId} held for operators: {Code}", transfer.Id, code);
    }

    /// <summary>Today, but never before an event already recorded on this copy (clocks of two provinces may disagree).</summary>
    public DateOnly BusinessDay(DomainTransfer transfer)
    {
        var today = clock.Today;
        var last = transfer.Timeline.Count == 0 ? today : transfer.Timeline.Max(t => t.On);
        return last > today ? last : today;
    }

    public static string ItemId(string transferId, string step) => $"{transferId}:{step}";

    /// <summary>A refused domain event on a call becomes FAILED_PRECONDITION with the domain's reason code.</summary>
    public static void Apply(Action change)
    {
        try { change(); }
        catch (DomainRuleException ex) { throw new RefusedException(ex.Reason, ex.Message); }
    }

    /// <summary>A refused domain event on an inbound envelope can never apply: it is dead-lettered with the reason.</summary>
    public static void ApplyInbound(Envelope envelope, Action change)
    {
        try { change(); }
        catch (DomainRuleException ex) { throw new PoisonMessageException($"{envelope.MessageType} refused by the protocol: {ex.Reason}: {ex.Message}"); }
    }

    public static string Iso(DateOnly d) => d.ToString("yyyy-MM-dd");

    /// <summary>Text from elsewhere, cut to a length that is safe to store and show.</summary>
    public static string Bounded(string text, int max) => text.Length <= max ? text : text[..max];

    private static string Short(string? id) => id is null ? "" : Bounded(id, 64);
}

/// <summary>Names of the steps; they make message and work-item ids deterministic.</summary>
public static class Steps
{
    public const string Letter = "letter";
    public const string LetterReturned = "letter-returned";
    public const string InfoTable = "info-table";
    public const string Completed = "completed";
    public const string WithdrawalRequest = "withdrawal-request";
    public const string WithdrawalAnswer = "withdrawal-answer";
    public const string CheckOrigin = "check-origin";
    public const string BuildTable = "build-table";
    public const string Credit = "credit";
    public const string Close = "close";
    public const string LetterReturnedNotice = "letter-returned-notice";
}

/// <summary>Codes for envelopes dead-lettered because they act outside their exchange.</summary>
public static class TrustCodes
{
    public const string SenderMismatch = "SENDER_MISMATCH";
    public const string ForeignReceipt = "RECEIPT_FROM_NON_RECEIVER";
}

/// <summary>Codes a transfer is held with, for operators.</summary>
public static class HoldCodes
{
    public const string AmountMismatch = ReasonCodes.AmountMismatch;
    public const string InvalidTableAfterDebit = "INVALID_TABLE_AFTER_DEBIT";
    public const string AnswerConflict = "WORK_ITEM_ANSWER_CONFLICT";
}
