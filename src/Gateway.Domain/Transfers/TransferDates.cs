namespace Gateway.Domain.Transfers;

/// <summary>
/// Dates known so far about one transfer (Beijing dates). Each node fills what it saw: the destination knows when it
/// accepted, sent the letter and received the table; the origin knows when it received the letter and sent the table.
/// </summary>
/// <param name="ClosedOn">Set when the transfer ended without completion (withdrawn, letter returned): nothing is overdue then.</param>
public sealed record TransferDates(
    DateOnly? AcceptedOn = null,
    DateOnly? LetterSentOn = null,
    DateOnly? LetterReceivedOn = null,
    DateOnly? InfoTableSentOn = null,
    DateOnly? InfoTableReceivedOn = null,
    DateOnly? CompletedOn = null,
    DateOnly? ClosedOn = null);
