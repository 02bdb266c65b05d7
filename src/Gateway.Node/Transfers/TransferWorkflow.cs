using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Domain.Transfers;
using Gateway.Domain.Values;
using Gateway.Node.Exchange;
using Gateway.Node.Grpc;
using Gateway.Node.Infrastructure;
using Gateway.Storage;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Npgsql;
using DomainTransfer = Gateway.Domain.Transfers.Transfer;
using WorkItem = Gateway.Contracts.Transfer.V1.WorkItem;
using TransferRole = Gateway.Domain.Transfers.TransferRole;
using TransferState = Gateway.Domain.Transfers.TransferState;

namespace Gateway.Node.Transfers;

/// <summary>
/// The transfer protocol as one node runs it. Every method works inside the caller's database
/// transaction: the state change, the work items it hands the province system and the envelopes
/// it sends to the other node commit together or not at all. The domain decides; this class
/// loads, applies and stores.
/// </summary>
public sealed class TransferWorkflow(
    NodeIdentity node,
    BusinessClock clock,
    EnvelopeFactory envelopes,
    TransferViews views,
    ILogger<TransferWorkflow> logger)
{
    // ---- calls from this province's system ----

    public async Task<Certificate> IssueCertificateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IssueCertificateRequest request, CancellationToken ct)
    {
        var certificate = request.Certificate?.Clone() ?? throw InvalidRequestException.Single("certificate", "A certificate is required.");
        RequestValidation.ValidateCertificateForIssue(certificate, node.Province, clock.Today);

        var issuedOn = string.IsNullOrEmpty(certificate.IssuedOn) ? clock.Today : DateOnly.ParseExact(certificate.IssuedOn, "yyyy-MM-dd");
        certificate.Number = (await DocumentNumbers.NextAsync(conn, tx, "certificate", new DivisionCode(certificate.InsuplcAdmdvs), issuedOn.Year, ct)).Value;
        certificate.IssuedOn = issuedOn.ToString("yyyy-MM-dd");
        certificate.AccountBalanceCapitals = new Money(certificate.AccountBalanceFen).ToChineseCapitals();

        await TransferStore.InsertCertificateAsync(conn, tx, certificate.Number, certificate.Person.Certno, issuedOn, certificate.ToByteArray(), ct);
        return certificate;
    }

    public async Task<Contracts.Transfer.V1.Transfer> SubmitApplicationAsync(NpgsqlConnection conn, NpgsqlTransaction tx, SubmitApplicationRequest request, CancellationToken ct)
    {
        var acceptedOn = clock.Today;
        if (!string.IsNullOrEmpty(request.AcceptedOn))
        {
            if (!DateOnly.TryParseExact(request.AcceptedOn, "yyyy-MM-dd", out acceptedOn))
                throw InvalidRequestException.Single("accepted_on", "must be a date written yyyy-MM-dd");
            if (acceptedOn > clock.Today)
                throw InvalidRequestException.Single("accepted_on", $"is after today ({clock.Today:yyyy-MM-dd}) in the node's business calendar");
        }
        RequestValidation.ValidateApplication(request, node.Province, acceptedOn);

        await TransferStore.LockCertificateAsync(conn, tx, request.Certificate.Number, ct);
        var open = await TransferStore.FindOpenByCertificateAsync(conn, tx, request.Certificate.Number, ct);
        if (open is not null)
            throw new RefusedException("TRANSFER_ALREADY_OPEN",
                $"Certificate {request.Certificate.Number} already has an open transfer ({open}); withdraw it or wait for it to end.",
                new Dictionary<string, string> { ["transfer_id"] = open });
        var origin = new ProvinceCode(request.Certificate.InsuplcAdmdvs[..2]);
        var destination = new ProvinceCode(node.Province);
        var transferId = $"{node.Province}T{Guid.CreateVersion7():N}";
        var destinationRegion = new DivisionCode(request.DestinationAgency.Admdvs);
        var application = request.Application.Clone();
        if (string.IsNullOrEmpty(application.Number))
            application.Number = (await DocumentNumbers.NextAsync(conn, tx, "application", destinationRegion, acceptedOn.Year, ct)).Value;
        var letterNumber = await DocumentNumbers.NextAsync(conn, tx, "letter", destinationRegion, acceptedOn.Year, ct);

        // The letter goes out with the acceptance: same transaction, so "accepted" never exists without it.
        var transfer = DomainTransfer.Accept(transferId, origin, destination, acceptedOn);
        transfer.SendLetter(acceptedOn);

        var letter = new ContactLetterSent
        {
            TransferId = transferId,
            Certificate = request.Certificate,
            AcceptedOn = acceptedOn.ToString("yyyy-MM-dd"),
            SentOn = acceptedOn.ToString("yyyy-MM-dd"),
            Application = application,
            Letter = new ContactLetter
            {
                Number = letterNumber.Value,
                IssuedOn = acceptedOn.ToString("yyyy-MM-dd"),
                OriginAgency = request.Application.OriginAgency,
                Person = request.Application.Person,
                AccountMoves = true,
                Insutype = request.Application.Insutype,
                DestinationAgency = request.DestinationAgency,
                DestinationAccount = request.DestinationAccount,
                Handler = request.Handler,
                HandlerPhone = request.HandlerPhone,
            }
        };

        var record = new TransferRecord
        {
            Snapshot = transfer.ToSnapshot(),
            CertificateNumber = request.Certificate.Number,
            Certno = request.Application.Person.Certno,
            Letter = letter.ToByteArray(),
        };
        await TransferStore.InsertAsync(conn, tx, record, ct);
        await Outbound.EnqueueAsync(conn, tx, envelopes.Create(origin.Value, transferId, Steps.Letter, letter), ct);
        logger.LogInformation("Transfer {TransferId} accepted; contact letter to {Origin}", transferId, origin);
        return await views.ViewAsync(conn, tx, record, ct);
    }

    public async Task<Contracts.Transfer.V1.Transfer> WithdrawAsync(NpgsqlConnection conn, NpgsqlTransaction tx, WithdrawTransferRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.TransferId))
            throw InvalidRequestException.Single("transfer_id", "Name the transfer to withdraw.");
        var record = await LoadAsync(conn, tx, request.TransferId, ct);
        var transfer = record.ToDomain();
        var today = clock.Today;

        if (transfer.State == TransferState.Accepted)
        {
            Apply(() => transfer.Withdraw(today));
        }
        else
        {
            Apply(() => transfer.RequestWithdrawal(today));
            await Outbound.EnqueueAsync(conn, tx, envelopes.Create(transfer.Origin.Value, transfer.Id, Steps.WithdrawalRequest,
                new WithdrawalRequested { TransferId = transfer.Id, Reason = request.Reason, RequestedOn = Iso(today) }), ct);
        }
        await SaveAsync(conn, tx, record, transfer, ct);
        return await views.ViewAsync(conn, tx, record, ct);
    }

    public async Task<AnswerWorkItemResponse> AnswerWorkItemAsync(NpgsqlConnection conn, NpgsqlTransaction tx, AnswerWorkItemRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.ItemId))
            throw InvalidRequestException.Single("item_id", "Name the work item being answered.");
        var state = await WorkItemStore.GetAsync(conn, tx, request.ItemId, ct) ?? throw new NotFoundException($"No work item '{request.ItemId}'.");
        var item = WorkItem.Parser.ParseFrom(state.Item.Payload);
        var expected = item.Kind switch
        {
            WorkItemKind.CheckOriginEnrolment => AnswerWorkItemRequest.AnswerOneofCase.OriginEnrolment,
            WorkItemKind.BuildInformationTable => AnswerWorkItemRequest.AnswerOneofCase.InformationTable,
            WorkItemKind.CreditBalance => AnswerWorkItemRequest.AnswerOneofCase.CreditBalance,
            _ => AnswerWorkItemRequest.AnswerOneofCase.Acknowledgement,
        };
        if (request.AnswerCase != expected)
            throw InvalidRequestException.Single(ToSnake(expected.ToString()), $"A {item.Kind} item is answered with {ToSnake(expected.ToString())}.");

        // Lock order everywhere: transfer row, then work-item rows. A withdrawal holds the same
        // transfer lock, so an answer and a withdrawal never interleave.
        var record = await LoadAsync(conn, tx, item.TransferId, ct);
        var previous = await WorkItemStore.MarkAnsweredAsync(conn, tx, request.ItemId, request.ToByteArray(), clock.UtcNow, ct);
        if (previous == WorkItemStatus.Answered)
            return new AnswerWorkItemResponse { ItemId = request.ItemId, AlreadyAnswered = true };
        if (previous == WorkItemStatus.Cancelled)
            throw new RefusedException("WORK_ITEM_CANCELLED", $"Work item {request.ItemId} was cancelled (the transfer was withdrawn); do not apply it.");

        var transfer = record.ToDomain();
        var today = BusinessDay(transfer);
        switch (item.Kind)
        {
            case WorkItemKind.CheckOriginEnrolment:
                await OnOriginEnrolmentAsync(conn, tx, record, transfer, request.OriginEnrolment, today, ct);
                break;
            case WorkItemKind.BuildInformationTable:
                await OnInformationTableAsync(conn, tx, record, transfer, request.InformationTable, today, ct);
                break;
            case WorkItemKind.CreditBalance:
                await OnCreditedAsync(conn, tx, record, transfer, request.CreditBalance, today, ct);
                break;
        }
        return new AnswerWorkItemResponse { ItemId = request.ItemId };
    }

    // ---- origin side ----

    private async Task OnOriginEnrolmentAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TransferRecord record, DomainTransfer transfer,
        OriginEnrolmentAnswer answer, DateOnly today, CancellationToken ct)
    {
        if (answer.Status == EnrolmentStatus.Suspended)
        {
            if (transfer.Check(TransferEvent.SendInfoTable) is { } refused)
                throw new RefusedException(refused.Reason, refused.Message);
            await AddWorkItemAsync(conn, tx, record, WorkItemKind.BuildInformationTable, Steps.BuildTable, null, ct);
            return;
        }
        var (reason, text) = answer.Status switch
        {
            EnrolmentStatus.UnknownPerson => (ReturnReason.PersonUnknown, "The person is not insured at the origin."),
            EnrolmentStatus.Active => (ReturnReason.PersonNotSuspended, "The person is still actively enrolled at the origin; enrolment must be suspended before a transfer-out."),
            EnrolmentStatus.Terminated => (ReturnReason.PersonNotSuspended, "The person's enrolment at the origin is terminated, not suspended."),
            _ => throw InvalidRequestException.Single("origin_enrolment.status", "State the person's enrolment status at the origin."),
        };
        if (!string.IsNullOrWhiteSpace(answer.Remarks)) text += " " + answer.Remarks.Trim();
        await ReturnLetterAsync(conn, tx, record, transfer, reason, text, today, ct);
    }

    /// <summary>Origin returns the letter: state change and the notice to the destination, together.</summary>
    private async Task ReturnLetterAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TransferRecord record, DomainTransfer transfer,
        ReturnReason reason, string text, DateOnly today, CancellationToken ct)
    {
        Apply(() => transfer.ReturnLetter(reason, text, today));
        await SaveAsync(conn, tx, record, transfer, ct);
        await Outbound.EnqueueAsync(conn, tx, envelopes.Create(record.CounterpartProvince, transfer.Id, Steps.LetterReturned,
            new LetterReturned { TransferId = transfer.Id, ReasonCode = reason.Code(), Reason = text, ReturnedOn = Iso(today) }), ct);
    }

    private async Task OnInformationTableAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TransferRecord record, DomainTransfer transfer,
        InformationTableAnswer answer, DateOnly today, CancellationToken ct)
    {
        var table = answer.Table?.Clone() ?? throw InvalidRequestException.Single("information_table.table", "The information table is required.");
        if (string.IsNullOrEmpty(table.IssuedOn)) table.IssuedOn = Iso(today);
        RequestValidation.ValidateInformationTable(table, answer.TransferredAmountFen);
        table.AmountCapitals = new Money(table.AmountFen).ToChineseCapitals();

        Apply(() => transfer.SendInfoTable(new Money(table.AmountFen), new Money(answer.TransferredAmountFen), today));
        record.InfoTable = table.ToByteArray();
        await SaveAsync(conn, tx, record, transfer, ct);
        await Outbound.EnqueueAsync(conn, tx, envelopes.Create(record.CounterpartProvince, transfer.Id, Steps.InfoTable,
            new InformationTableSent { TransferId = transfer.Id, Table = table, TransferredAmountFen = answer.TransferredAmountFen, SentOn = Iso(today) }), ct);
    }

    // ---- destination side ----

    private async Task OnCreditedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TransferRecord record, DomainTransfer transfer,
        CreditBalanceAnswer answer, DateOnly today, CancellationToken ct)
    {
        if (transfer.Check(TransferEvent.Complete) is null && answer.CreditedAmountFen != transfer.TransferredAmount?.Fen)
        {
            // The province system has credited already: refusing would hide that. Keep the answer, hold the transfer.
            record.ExchangeFailed = true;
            record.FailureReason = $"{ReasonCodes.AmountMismatch}: credited {new Money(answer.CreditedAmountFen)}, transferred {transfer.TransferredAmount}";
            await SaveAsync(conn, tx, record, transfer, ct);
            await TransferStore.AppendTimelineAsync(conn, tx, transfer.Id, "CreditMismatch", today, clock.UtcNow, record.FailureReason, ct);
            logger.LogError("Transfer {TransferId} held: {Reason}", transfer.Id, record.FailureReason);
            return;
        }
        Apply(() => transfer.Complete(new Money(answer.CreditedAmountFen), today));
        await SaveAsync(conn, tx, record, transfer, ct);
        await Outbound.EnqueueAsync(conn, tx, envelopes.Create(record.CounterpartProvince, transfer.Id, Steps.Completed,
            new TransferCompleted { TransferId = transfer.Id, CreditedAmountFen = answer.CreditedAmountFen, CompletedOn = Iso(today) }), ct);
    }

    // ---- envelopes from the other node ----

    /// <summary>Applies one inbound envelope. Throws <see cref="PoisonMessageException"/> when it can never apply.</summary>
    public async Task ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, CancellationToken ct)
    {
        var today = clock.Today;
        switch (envelope.MessageType)
        {
            case nameof(ContactLetterSent):
                await OnLetterAsync(conn, tx, envelope, Parse(ContactLetterSent.Parser, envelope), today, ct);
                break;
            case nameof(LetterReturned):
            {
                var m = Parse(LetterReturned.Parser, envelope);
                var (record, transfer) = await LoadForInboundAsync(conn, tx, m.TransferId, envelope, TransferRole.Destination, ct);
                var reason = ReturnReasons.TryParse(m.ReasonCode, out var r) ? r : ReturnReason.Other;
                ApplyInbound(envelope, () => transfer.ReturnLetter(reason, m.Reason, BusinessDay(transfer)));
                await SaveAsync(conn, tx, record, transfer, ct);
                await AddWorkItemAsync(conn, tx, record, WorkItemKind.LetterReturned, Steps.LetterReturnedNotice,
                    i => { i.ReasonCode = m.ReasonCode; i.Reason = m.Reason; }, ct);
                break;
            }
            case nameof(InformationTableSent):
            {
                var m = Parse(InformationTableSent.Parser, envelope);
                var (record, transfer) = await LoadForInboundAsync(conn, tx, m.TransferId, envelope, TransferRole.Destination, ct);
                ApplyInbound(envelope, () => transfer.SendInfoTable(new Money(m.Table?.AmountFen ?? 0), new Money(m.TransferredAmountFen), BusinessDay(transfer)));
                record.InfoTable = m.Table?.ToByteArray();
                if (m.Table?.AmountFen != m.TransferredAmountFen)
                {
                    // Never credit an amount the table does not show: hold the transfer for operators.
                    record.ExchangeFailed = true;
                    record.FailureReason = $"{ReasonCodes.AmountMismatch}: table shows {new Money(m.Table?.AmountFen ?? 0)}, transferred {new Money(m.TransferredAmountFen)}";
                    await SaveAsync(conn, tx, record, transfer, ct);
                    logger.LogWarning("Transfer {TransferId} held: {Reason}", transfer.Id, record.FailureReason);
                    break;
                }
                await SaveAsync(conn, tx, record, transfer, ct);
                await AddWorkItemAsync(conn, tx, record, WorkItemKind.CreditBalance, Steps.Credit, i => i.AmountFen = m.TransferredAmountFen, ct);
                break;
            }
            case nameof(TransferCompleted):
            {
                var m = Parse(TransferCompleted.Parser, envelope);
                var (record, transfer) = await LoadForInboundAsync(conn, tx, m.TransferId, envelope, TransferRole.Origin, ct);
                ApplyInbound(envelope, () =>
                {
                    var day = BusinessDay(transfer);
                    transfer.Complete(new Money(m.CreditedAmountFen), day);
                    transfer.Acknowledge(day);
                });
                await SaveAsync(conn, tx, record, transfer, ct);
                await AddWorkItemAsync(conn, tx, record, WorkItemKind.CloseOriginRecord, Steps.Close, null, ct);
                break;
            }
            case nameof(WithdrawalRequested):
                await OnWithdrawalRequestedAsync(conn, tx, envelope, Parse(WithdrawalRequested.Parser, envelope), today, ct);
                break;
            case nameof(WithdrawalAnswered):
            {
                var m = Parse(WithdrawalAnswered.Parser, envelope);
                var (record, transfer) = await LoadForInboundAsync(conn, tx, m.TransferId, envelope, TransferRole.Destination, ct);
                if (m.Confirmed && transfer.State == TransferState.WithdrawalRequested)
                {
                    transfer.Withdraw(BusinessDay(transfer));
                    await SaveAsync(conn, tx, record, transfer, ct);
                }
                else
                {
                    // Refused: the origin acted first; its table or returned letter is (or will be) applied.
                    await TransferStore.AppendTimelineAsync(conn, tx, transfer.Id, "WithdrawalRefused", today, clock.UtcNow, m.ReasonCode, ct);
                }
                break;
            }
            default:
                throw new PoisonMessageException($"Unknown message type '{envelope.MessageType}'.");
        }
    }

    private async Task OnLetterAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, ContactLetterSent m, DateOnly today, CancellationToken ct)
    {
        if (m.Certificate?.Person is null || m.Letter?.Person is null || string.IsNullOrEmpty(m.TransferId))
            throw new PoisonMessageException("The contact letter lacks its transfer id, certificate or person.");
        if (envelope.ReceiverProvince != node.Province || m.Certificate.InsuplcAdmdvs.Length < 2 || m.Certificate.InsuplcAdmdvs[..2] != node.Province)
            throw new PoisonMessageException($"The certificate's region {m.Certificate.InsuplcAdmdvs} is not in province {node.Province}.");
        if (await TransferStore.FindAsync(conn, tx, m.TransferId, forUpdate: true, ct) is not null)
            return; // same transfer, new message id (e.g. replayed by an operator): already applied
        if (await TransferStore.WasWithdrawnBeforeLetterAsync(conn, tx, m.TransferId, ct))
        {
            logger.LogInformation("Letter for {TransferId} arrived after its withdrawal was confirmed; ignored", m.TransferId);
            return;
        }

        // Clocks of two provinces may disagree around midnight: never receive before the letter says it was sent.
        var acceptedOn = TryDate(m.AcceptedOn);
        var sentOn = TryDate(m.SentOn);
        var receivedOn = new[] { today, acceptedOn ?? today, sentOn ?? today }.Max();
        var transfer = DomainTransfer.ReceiveLetter(m.TransferId, new ProvinceCode(node.Province), new ProvinceCode(envelope.SenderProvince),
            receivedOn, acceptedOn, sentOn);
        var record = new TransferRecord
        {
            Snapshot = transfer.ToSnapshot(),
            CertificateNumber = m.Certificate.Number,
            Certno = m.Letter.Person.Certno,
            Letter = m.ToByteArray(),
        };
        await TransferStore.InsertAsync(conn, tx, record, ct);

        // A certificate this node issued must describe the same person as the letter.
        var issued = await TransferStore.FindCertificateCertnoAsync(conn, tx, m.Certificate.Number, ct);
        if (issued is not null && !string.Equals(issued, m.Letter.Person.Certno, StringComparison.OrdinalIgnoreCase))
        {
            await ReturnLetterAsync(conn, tx, record, transfer, ReturnReason.DocumentsInconsistent,
                "The certificate number was issued here to a different person than the letter names.", today, ct);
            return;
        }
        await AddWorkItemAsync(conn, tx, record, WorkItemKind.CheckOriginEnrolment, Steps.CheckOrigin, null, ct);
    }

    private async Task OnWithdrawalRequestedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, WithdrawalRequested m, DateOnly today, CancellationToken ct)
    {
        var record = await TransferStore.FindAsync(conn, tx, m.TransferId, forUpdate: true, ct);
        string? refusal = null;
        if (record is null)
        {
            // The letter has not arrived yet: nothing was done here, so confirm and ignore the letter when it comes.
            await TransferStore.RecordWithdrawnBeforeLetterAsync(conn, tx, m.TransferId, envelope.SenderProvince, ct);
        }
        else if (!record.IsOrigin)
            refusal = ReasonCodes.WrongRole;
        else
        {
            var transfer = record.ToDomain();
            if (transfer.Check(TransferEvent.Withdraw) is { } refused)
                refusal = refused.Reason;
            // Once the table item may have reached the province system, money may have moved: that is acting.
            // The cancel and the stream's delivery count update the same row, so exactly one of them wins.
            else if (!await WorkItemFeed.CancelIfUndeliveredAsync(conn, tx, ItemId(transfer.Id, Steps.BuildTable), ct))
                refusal = ReasonCodes.OriginAlreadyActed;
            else
            {
                transfer.Withdraw(BusinessDay(transfer));
                await SaveAsync(conn, tx, record, transfer, ct);
                await WorkItemStore.MarkCancelledAsync(conn, tx, ItemId(transfer.Id, Steps.CheckOrigin), clock.UtcNow, ct);
            }
        }
        await Outbound.EnqueueAsync(conn, tx, envelopes.Create(envelope.SenderProvince, m.TransferId, Steps.WithdrawalAnswer,
            new WithdrawalAnswered { TransferId = m.TransferId, Confirmed = refusal is null, ReasonCode = refusal ?? "", AnsweredOn = Iso(today) },
            envelope.MessageId), ct);
    }

    // ---- helpers ----

    private async Task<TransferRecord> LoadAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string transferId, CancellationToken ct) =>
        await TransferStore.FindAsync(conn, tx, transferId, forUpdate: true, ct) ?? throw new NotFoundException($"No transfer '{transferId}' at node {node.Province}.");

    private async Task<(TransferRecord, DomainTransfer)> LoadForInboundAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, string transferId, Envelope envelope, TransferRole expectedRole, CancellationToken ct)
    {
        var record = await TransferStore.FindAsync(conn, tx, transferId, forUpdate: true, ct)
            ?? throw new PoisonMessageException($"{envelope.MessageType} for unknown transfer '{transferId}'.");
        if (record.Snapshot.Role != expectedRole)
            throw new PoisonMessageException($"{envelope.MessageType} is for the {expectedRole} copy; this node holds the {record.Snapshot.Role} copy.");
        if (record.CounterpartProvince != envelope.SenderProvince)
            throw new PoisonMessageException($"{envelope.MessageType} came from {envelope.SenderProvince}, not from the transfer's counterpart {record.CounterpartProvince}.");
        return (record, record.ToDomain());
    }

    private async Task SaveAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TransferRecord record, DomainTransfer transfer, CancellationToken ct)
    {
        record.Snapshot = transfer.ToSnapshot();
        await TransferStore.UpdateAsync(conn, tx, record, ct);
    }

    private async Task AddWorkItemAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TransferRecord record, WorkItemKind kind, string step,
        Action<WorkItem>? fill, CancellationToken ct)
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
        fill?.Invoke(item);
        await WorkItemStore.AddAsync(conn, tx, new Storage.WorkItem(item.ItemId, kind.ToString(), record.TransferId, item.ToByteArray(), clock.UtcNow), ct);
    }

    public static string ItemId(string transferId, string step) => $"{transferId}:{step}";

    /// <summary>Today, but never before an event already recorded on this copy (clocks of two provinces may disagree).</summary>
    private DateOnly BusinessDay(DomainTransfer transfer)
    {
        var today = clock.Today;
        var last = transfer.Timeline.Count == 0 ? today : transfer.Timeline.Max(t => t.On);
        return last > today ? last : today;
    }

    /// <summary>A refused domain event on a call becomes FAILED_PRECONDITION with the domain's reason code.</summary>
    private static void Apply(Action change)
    {
        try { change(); }
        catch (DomainRuleException ex) { throw new RefusedException(ex.Reason, ex.Message); }
    }

    /// <summary>A refused domain event on an inbound envelope can never apply: it is dead-lettered with the reason.</summary>
    private static void ApplyInbound(Envelope envelope, Action change)
    {
        try { change(); }
        catch (DomainRuleException ex) { throw new PoisonMessageException($"{envelope.MessageType} refused by the protocol: {ex.Reason}: {ex.Message}"); }
    }

    private static T Parse<T>(MessageParser<T> parser, Envelope envelope) where T : IMessage<T>
    {
        try { return parser.ParseFrom(envelope.Payload); }
        catch (InvalidProtocolBufferException ex) { throw new PoisonMessageException($"{envelope.MessageType} payload is not valid: {ex.Message}"); }
    }

    private static string Iso(DateOnly d) => d.ToString("yyyy-MM-dd");
    private static DateOnly? TryDate(string s) => DateOnly.TryParse(s, out var d) ? d : null;
    private static string ToSnake(string pascal) => string.Concat(pascal.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

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
}

/// <summary>An inbound envelope that can never be applied; it goes to the dead-letter topic and table.</summary>
public sealed class PoisonMessageException(string reason) : Exception(reason);
