using Gateway.Domain.Calendar;
using Gateway.Domain.Rules;
using Gateway.Domain.Values;

namespace Gateway.Domain.Transfers;

/// <summary>
/// One node's copy of a transfer and the protocol state machine both copies follow.
/// </summary>
/// <remarks>
/// The destination creates its copy on accepting the application (<see cref="Accept"/>); the origin creates its copy
/// when the contact letter arrives (<see cref="ReceiveLetter"/>). Each later event is a method. A refused event throws
/// <see cref="DomainRuleException"/> with a code from <see cref="ReasonCodes"/> and leaves the transfer unchanged;
/// <see cref="Check"/> answers the same question without throwing. Event dates are Beijing dates and may not go
/// back before an event already recorded.
/// </remarks>
public sealed class Transfer
{
    private Transfer(TransferSnapshot s)
    {
        Id = s.Id;
        Role = s.Role;
        State = s.State;
        Origin = s.Origin;
        Destination = s.Destination;
        AcceptedOn = s.AcceptedOn;
        LetterSentOn = s.LetterSentOn;
        LetterReceivedOn = s.LetterReceivedOn;
        WithdrawalRequestedOn = s.WithdrawalRequestedOn;
        LetterReturnedOn = s.LetterReturnedOn;
        ReturnReason = s.ReturnReason;
        ReturnText = s.ReturnText;
        InfoTableOn = s.InfoTableOn;
        TableAmount = s.TableAmount;
        TransferredAmount = s.TransferredAmount;
        CompletedOn = s.CompletedOn;
        CreditedAmount = s.CreditedAmount;
        AcknowledgedOn = s.AcknowledgedOn;
        WithdrawnOn = s.WithdrawnOn;
    }

    public string Id { get; }
    public TransferRole Role { get; }
    public TransferState State { get; private set; }
    public ProvinceCode Origin { get; }
    public ProvinceCode Destination { get; }

    public DateOnly? AcceptedOn { get; }
    public DateOnly? LetterSentOn { get; private set; }
    public DateOnly? LetterReceivedOn { get; }
    public DateOnly? WithdrawalRequestedOn { get; private set; }
    public DateOnly? LetterReturnedOn { get; private set; }
    public ReturnReason? ReturnReason { get; private set; }
    public string? ReturnText { get; private set; }
    /// <summary>Origin: day the table was sent; destination: day it arrived.</summary>
    public DateOnly? InfoTableOn { get; private set; }
    public Money? TableAmount { get; private set; }
    public Money? TransferredAmount { get; private set; }
    public DateOnly? CompletedOn { get; private set; }
    public Money? CreditedAmount { get; private set; }
    public DateOnly? AcknowledgedOn { get; private set; }
    public DateOnly? WithdrawnOn { get; private set; }

    public bool IsTerminal => State.IsTerminalFor(Role);

    // ---- creation ----

    /// <summary>Destination accepted the application: its copy starts in <see cref="TransferState.Accepted"/>.</summary>
    public static Transfer Accept(string id, ProvinceCode origin, ProvinceCode destination, DateOnly acceptedOn) =>
        Restore(new TransferSnapshot
        {
            Id = id, Role = TransferRole.Destination, State = TransferState.Accepted,
            Origin = origin, Destination = destination, AcceptedOn = acceptedOn,
        });

    /// <summary>
    /// Origin received the contact letter: its copy starts in <see cref="TransferState.LetterSent"/>.
    /// The acceptance and letter dates, when the letter carries them, let the origin show the whole schedule.
    /// </summary>
    public static Transfer ReceiveLetter(string id, ProvinceCode origin, ProvinceCode destination, DateOnly receivedOn,
        DateOnly? acceptedOn = null, DateOnly? letterSentOn = null) =>
        Restore(new TransferSnapshot
        {
            Id = id, Role = TransferRole.Origin, State = TransferState.LetterSent,
            Origin = origin, Destination = destination,
            AcceptedOn = acceptedOn, LetterSentOn = letterSentOn, LetterReceivedOn = receivedOn,
        });

    // ---- events ----

    /// <summary>Destination sent the contact letter. Accepted → LetterSent.</summary>
    public void SendLetter(DateOnly on)
    {
        Ensure(TransferEvent.SendLetter, on);
        LetterSentOn = on;
        State = TransferState.LetterSent;
    }

    /// <summary>The person asked the destination to withdraw. Accepted|LetterSent → WithdrawalRequested.</summary>
    public void RequestWithdrawal(DateOnly on)
    {
        Ensure(TransferEvent.RequestWithdrawal, on);
        WithdrawalRequestedOn = on;
        State = TransferState.WithdrawalRequested;
    }

    /// <summary>
    /// Withdrawal takes effect: destination before sending the letter or once the origin confirmed;
    /// origin while it has not acted on the letter. Refused with ORIGIN_ALREADY_ACTED afterwards.
    /// </summary>
    public void Withdraw(DateOnly on)
    {
        Ensure(TransferEvent.Withdraw, on);
        WithdrawnOn = on;
        State = TransferState.Withdrawn;
    }

    /// <summary>Origin returned the letter (origin: it returns it; destination: the return arrived). Terminal.</summary>
    public void ReturnLetter(ReturnReason reason, string? text, DateOnly on)
    {
        Ensure(TransferEvent.ReturnLetter, on);
        LetterReturnedOn = on;
        ReturnReason = reason;
        ReturnText = string.IsNullOrWhiteSpace(text) ? null : text.Trim();
        State = TransferState.LetterReturned;
    }

    /// <summary>
    /// Origin sent the information table with the balance (origin: sent; destination: arrived).
    /// A pending withdrawal request is thereby refused: the origin acted first.
    /// </summary>
    public void SendInfoTable(Money tableAmount, Money transferredAmount, DateOnly on)
    {
        Ensure(TransferEvent.SendInfoTable, on);
        if (tableAmount.Fen < 0 || transferredAmount.Fen < 0)
            throw new DomainRuleException(ReasonCodes.InvalidAmount,
                $"Amounts may not be negative (table {tableAmount}, transferred {transferredAmount}).");
        InfoTableOn = on;
        TableAmount = tableAmount;
        TransferredAmount = transferredAmount;
        State = TransferState.InfoTableSent;
    }

    /// <summary>
    /// Destination credited the balance and completed (on the origin copy: the completion notice arrived).
    /// Refused with AMOUNT_MISMATCH unless credited = transferred = table amount: money is neither lost nor doubled.
    /// </summary>
    public void Complete(Money creditedAmount, DateOnly on)
    {
        Ensure(TransferEvent.Complete, on);
        if (creditedAmount != TransferredAmount || creditedAmount != TableAmount)
            throw new DomainRuleException(ReasonCodes.AmountMismatch,
                $"Credited {creditedAmount} must equal the transferred {TransferredAmount} and the table's {TableAmount}.");
        CompletedOn = on;
        CreditedAmount = creditedAmount;
        State = TransferState.Completed;
    }

    /// <summary>Origin closes its copy after the completion notice. Completed → Acknowledged.</summary>
    public void Acknowledge(DateOnly on)
    {
        Ensure(TransferEvent.Acknowledge, on);
        AcknowledgedOn = on;
        State = TransferState.Acknowledged;
    }

    /// <summary>Null when <paramref name="e"/> is allowed now (amounts aside); otherwise why not.</summary>
    public TransferRefusal? Check(TransferEvent e)
    {
        var destination = Role == TransferRole.Destination;
        TransferRefusal Illegal() => new(ReasonCodes.IllegalTransition, $"{e} is not allowed on the {Role} copy in state {State}.");
        TransferRefusal WrongRole(string who) => new(ReasonCodes.WrongRole, $"{e} is done by the {who}; this is the {Role} copy.");
        TransferRefusal Acted() => new(ReasonCodes.OriginAlreadyActed, $"The origin has already acted (state {State}); withdrawal is no longer possible.");

        switch (e)
        {
            case TransferEvent.SendLetter:
                if (!destination) return WrongRole("destination");
                return State == TransferState.Accepted ? null : Illegal();

            case TransferEvent.RequestWithdrawal:
                if (!destination) return WrongRole("destination, where the person withdraws");
                if (State is TransferState.Accepted or TransferState.LetterSent) return null;
                return State.OriginHasActed() ? Acted() : Illegal();

            case TransferEvent.Withdraw:
                if (State.OriginHasActed()) return Acted();
                if (destination)
                {
                    if (State is TransferState.Accepted or TransferState.WithdrawalRequested) return null;
                    if (State == TransferState.LetterSent)
                        return new(ReasonCodes.OriginConfirmationRequired, "The letter has been sent: request withdrawal and wait for the origin to confirm.");
                    return Illegal();
                }
                return State == TransferState.LetterSent ? null : Illegal();

            case TransferEvent.ReturnLetter:
            case TransferEvent.SendInfoTable:
                // From WithdrawalRequested only if the letter actually went out.
                if (State == TransferState.LetterSent) return null;
                if (State == TransferState.WithdrawalRequested && LetterSentOn is not null) return null;
                return Illegal();

            case TransferEvent.Complete:
                return State == TransferState.InfoTableSent ? null : Illegal();

            case TransferEvent.Acknowledge:
                if (destination) return WrongRole("origin");
                return State == TransferState.Completed ? null : Illegal();

            default:
                throw new ArgumentOutOfRangeException(nameof(e));
        }
    }

    private void Ensure(TransferEvent e, DateOnly on)
    {
        if (Check(e) is { } refusal) throw refusal.ToException();
        var last = Timeline.Max(t => t.On);
        if (on < last)
            throw new DomainRuleException(ReasonCodes.DateOutOfOrder, $"{e} on {on:yyyy-MM-dd} is before the last recorded event ({last:yyyy-MM-dd}).");
    }

    // ---- display ----

    /// <summary>Recorded events in protocol order, rebuilt from the dates.</summary>
    public IReadOnlyList<TimelineEntry> Timeline
    {
        get
        {
            var t = new List<TimelineEntry>();
            var origin = Role == TransferRole.Origin;
            if (AcceptedOn is { } a) t.Add(new(a, "Accepted"));
            if (LetterSentOn is { } ls) t.Add(new(ls, "LetterSent"));
            if (LetterReceivedOn is { } lr) t.Add(new(lr, "LetterReceived"));
            if (WithdrawalRequestedOn is { } wr) t.Add(new(wr, "WithdrawalRequested"));
            if (LetterReturnedOn is { } ret)
                t.Add(new(ret, "LetterReturned", ReturnReason?.Code() + (ReturnText is null ? "" : ": " + ReturnText)));
            if (InfoTableOn is { } it)
                t.Add(new(it, origin ? "InfoTableSent" : "InfoTableReceived", $"table {TableAmount}, transferred {TransferredAmount}"));
            if (WithdrawnOn is { } w) t.Add(new(w, "Withdrawn"));
            if (CompletedOn is { } c) t.Add(new(c, "Completed", $"credited {CreditedAmount}"));
            if (AcknowledgedOn is { } ack) t.Add(new(ack, "Acknowledged"));
            return t;
        }
    }

    /// <summary>The dates this copy knows, as the deadline calculator wants them.</summary>
    public TransferDates Dates => new(
        AcceptedOn: AcceptedOn,
        LetterSentOn: LetterSentOn,
        LetterReceivedOn: LetterReceivedOn,
        InfoTableSentOn: Role == TransferRole.Origin ? InfoTableOn : null,
        InfoTableReceivedOn: Role == TransferRole.Destination ? InfoTableOn : null,
        CompletedOn: CompletedOn,
        ClosedOn: WithdrawnOn ?? LetterReturnedOn);

    /// <summary>This transfer's deadlines under the governing provinces' rules.</summary>
    public TransferSchedule Schedule(RegimeBook regimes, WorkingDayCalendar calendar) =>
        TransferDeadlines.Compute(Origin, Destination, regimes, calendar, Dates);

    // ---- persistence ----

    public TransferSnapshot ToSnapshot() => new()
    {
        Id = Id, Role = Role, State = State, Origin = Origin, Destination = Destination,
        AcceptedOn = AcceptedOn, LetterSentOn = LetterSentOn, LetterReceivedOn = LetterReceivedOn,
        WithdrawalRequestedOn = WithdrawalRequestedOn, LetterReturnedOn = LetterReturnedOn,
        ReturnReason = ReturnReason, ReturnText = ReturnText, InfoTableOn = InfoTableOn,
        TableAmount = TableAmount, TransferredAmount = TransferredAmount, CompletedOn = CompletedOn,
        CreditedAmount = CreditedAmount, AcknowledgedOn = AcknowledgedOn, WithdrawnOn = WithdrawnOn,
    };

    /// <summary>Rebuilds a stored transfer; throws INCONSISTENT_SNAPSHOT when the columns cannot describe one.</summary>
    public static Transfer Restore(TransferSnapshot s)
    {
        TransferSnapshotRules.Validate(s);
        var transfer = new Transfer(s);
        TransferSnapshotRules.ValidateOrder(transfer);
        return transfer;
    }
}
