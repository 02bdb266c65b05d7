namespace Gateway.Domain.Transfers;

/// <summary>Machine-readable reasons a transfer refuses an event (carried by <see cref="DomainRuleException"/>).</summary>
public static class ReasonCodes
{
    /// <summary>The event is not allowed in the current state.</summary>
    public const string IllegalTransition = "ILLEGAL_TRANSITION";
    /// <summary>Withdrawal refused: the origin already returned the letter or sent the table.</summary>
    public const string OriginAlreadyActed = "ORIGIN_ALREADY_ACTED";
    /// <summary>The destination may withdraw after sending the letter only once the origin confirms.</summary>
    public const string OriginConfirmationRequired = "ORIGIN_CONFIRMATION_REQUIRED";
    /// <summary>Credited, transferred and table amounts differ.</summary>
    public const string AmountMismatch = "AMOUNT_MISMATCH";
    /// <summary>A negative amount.</summary>
    public const string InvalidAmount = "INVALID_AMOUNT";
    /// <summary>The event belongs to the other side's copy.</summary>
    public const string WrongRole = "WRONG_ROLE";
    /// <summary>The event's date is before an event already recorded.</summary>
    public const string DateOutOfOrder = "DATE_OUT_OF_ORDER";
    /// <summary>Origin and destination are the same province: not this gateway's business.</summary>
    public const string NotCrossProvince = "NOT_CROSS_PROVINCE";
    /// <summary>Stored columns that cannot describe a real transfer.</summary>
    public const string InconsistentSnapshot = "INCONSISTENT_SNAPSHOT";
}
