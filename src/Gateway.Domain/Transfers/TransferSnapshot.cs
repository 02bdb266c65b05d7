using Gateway.Domain.Values;

namespace Gateway.Domain.Transfers;

/// <summary>
/// Everything a node stores for its copy of a transfer, one property per column. The timeline is rebuilt from the
/// dates, so no event table is needed. <see cref="Transfer.Restore"/> checks the columns describe a reachable transfer.
/// </summary>
public sealed record TransferSnapshot
{
    public required string Id { get; init; }
    public required TransferRole Role { get; init; }
    public required TransferState State { get; init; }
    public required ProvinceCode Origin { get; init; }
    public required ProvinceCode Destination { get; init; }

    public DateOnly? AcceptedOn { get; init; }
    public DateOnly? LetterSentOn { get; init; }
    /// <summary>Origin copy only: when the letter arrived.</summary>
    public DateOnly? LetterReceivedOn { get; init; }
    public DateOnly? WithdrawalRequestedOn { get; init; }
    public DateOnly? LetterReturnedOn { get; init; }
    public ReturnReason? ReturnReason { get; init; }
    public string? ReturnText { get; init; }
    /// <summary>Origin: day the table was sent; destination: day it arrived.</summary>
    public DateOnly? InfoTableOn { get; init; }
    public Money? TableAmount { get; init; }
    public Money? TransferredAmount { get; init; }
    public DateOnly? CompletedOn { get; init; }
    public Money? CreditedAmount { get; init; }
    public DateOnly? AcknowledgedOn { get; init; }
    public DateOnly? WithdrawnOn { get; init; }
}
