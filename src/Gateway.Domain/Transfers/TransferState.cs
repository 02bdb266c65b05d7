namespace Gateway.Domain.Transfers;

/// <summary>Protocol states of a transfer, shared by both roles' copies.</summary>
public enum TransferState
{
    /// <summary>Destination accepted the application; the letter is not sent yet.</summary>
    Accepted,
    /// <summary>The contact letter is on its way or at the origin, which has not acted yet.</summary>
    LetterSent,
    /// <summary>The person asked the destination to withdraw; waiting for the origin to confirm.</summary>
    WithdrawalRequested,
    /// <summary>The origin returned the letter (e.g. the person is not suspended there). Terminal.</summary>
    LetterReturned,
    /// <summary>The origin sent the information table and transferred the balance.</summary>
    InfoTableSent,
    /// <summary>The destination credited the amount and completed. Terminal for the destination.</summary>
    Completed,
    /// <summary>The origin received the completion notice and closed its record. Terminal for the origin.</summary>
    Acknowledged,
    /// <summary>Withdrawn before the origin acted. Terminal.</summary>
    Withdrawn,
}

public static class TransferStates
{
    /// <summary>Destination ends in Completed, LetterReturned or Withdrawn; origin in Acknowledged, LetterReturned or Withdrawn.</summary>
    public static bool IsTerminalFor(this TransferState state, TransferRole role) => state switch
    {
        TransferState.LetterReturned or TransferState.Withdrawn => true,
        TransferState.Completed => role == TransferRole.Destination,
        TransferState.Acknowledged => role == TransferRole.Origin,
        _ => false,
    };

    /// <summary>States in which the origin has answered the letter, so withdrawal is no longer possible.</summary>
    public static bool OriginHasActed(this TransferState state) => state is
        TransferState.InfoTableSent or TransferState.LetterReturned or TransferState.Completed or TransferState.Acknowledged;
}
