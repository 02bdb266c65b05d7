namespace Gateway.Domain.Transfers;

/// <summary>Which stored columns each (role, state) needs and allows, so a restored transfer is always a reachable one.</summary>
internal static class TransferSnapshotRules
{
    private static readonly TransferState[] TableStates = [TransferState.InfoTableSent, TransferState.Completed, TransferState.Acknowledged];
    private static readonly TransferState[] CompletedStates = [TransferState.Completed, TransferState.Acknowledged];

    public static void Validate(TransferSnapshot s)
    {
        var destination = s.Role == TransferRole.Destination;
        var st = s.State;

        Require(!string.IsNullOrWhiteSpace(s.Id), "a transfer needs an id");
        Require(s.Origin.Check() is null && s.Destination.Check() is null, $"origin '{s.Origin}' and destination '{s.Destination}' must be known province codes");
        if (s.Origin == s.Destination)
            throw new DomainRuleException(ReasonCodes.NotCrossProvince, $"Origin and destination are both {s.Origin}: not an interprovincial transfer.");
        Require(Enum.IsDefined(s.Role) && Enum.IsDefined(st), "unknown role or state");

        if (destination)
        {
            Require(s.AcceptedOn is not null, "the destination copy needs its acceptance date");
            Require(s.LetterReceivedOn is null, "only the origin copy records the letter's arrival");
            if (st == TransferState.Accepted) Require(s.LetterSentOn is null, "an accepted transfer has not sent its letter");
            if (st is TransferState.LetterSent or TransferState.LetterReturned or TransferState.InfoTableSent or TransferState.Completed)
                Require(s.LetterSentOn is not null, $"state {st} needs the letter's date");
            Require(st != TransferState.Acknowledged, "the destination copy ends in Completed");
            if (st is TransferState.Accepted or TransferState.LetterSent)
                Require(s.WithdrawalRequestedOn is null, $"state {st} has no withdrawal request");
            if (st == TransferState.Withdrawn && s.LetterSentOn is not null)
                Require(s.WithdrawalRequestedOn is not null, "after the letter went out the destination withdraws only through a request");
        }
        else
        {
            Require(s.LetterReceivedOn is not null, "the origin copy needs the letter's arrival date");
            Require(st is not (TransferState.Accepted or TransferState.WithdrawalRequested), $"the origin copy is never in {st}");
            Require(s.WithdrawalRequestedOn is null, "withdrawal requests are recorded by the destination");
        }

        Require((st == TransferState.WithdrawalRequested).Implies(s.WithdrawalRequestedOn is not null), "missing withdrawal request date");
        Require((st == TransferState.LetterReturned) == (s.LetterReturnedOn is not null), "return date must be set exactly when the letter was returned");
        Require((st == TransferState.LetterReturned) == (s.ReturnReason is not null), "return reason must be set exactly when the letter was returned");
        Require(s.ReturnText is null || s.ReturnReason is not null, "return text without a return");

        var hasTable = TableStates.Contains(st);
        Require(hasTable == (s.InfoTableOn is not null) && hasTable == (s.TableAmount is not null) && hasTable == (s.TransferredAmount is not null),
            "table date and amounts must be set exactly once the table was sent");
        Require(s.TableAmount is not { Fen: < 0 } && s.TransferredAmount is not { Fen: < 0 }, "amounts may not be negative");

        var completed = CompletedStates.Contains(st);
        Require(completed == (s.CompletedOn is not null) && completed == (s.CreditedAmount is not null),
            "completion date and credited amount must be set exactly once completed");
        Require(!completed || (s.CreditedAmount == s.TransferredAmount && s.CreditedAmount == s.TableAmount),
            "a completed transfer credited exactly the transferred and table amounts");
        Require((st == TransferState.Acknowledged) == (s.AcknowledgedOn is not null), "acknowledgement date must be set exactly when acknowledged");
        Require((st == TransferState.Withdrawn) == (s.WithdrawnOn is not null), "withdrawal date must be set exactly when withdrawn");
    }

    /// <summary>Dates must follow the protocol order (same day allowed).</summary>
    public static void ValidateOrder(Transfer t)
    {
        var timeline = t.Timeline;
        for (var i = 1; i < timeline.Count; i++)
            Require(timeline[i].On >= timeline[i - 1].On,
                $"{timeline[i].Event} on {timeline[i].On:yyyy-MM-dd} is before {timeline[i - 1].Event} on {timeline[i - 1].On:yyyy-MM-dd}");
    }

    private static bool Implies(this bool a, bool b) => !a || b;

    private static void Require(bool ok, string what)
    {
        if (!ok) throw new DomainRuleException(ReasonCodes.InconsistentSnapshot, "Inconsistent transfer: " + what + ".");
    }
}
