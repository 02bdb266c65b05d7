namespace Gateway.Domain.Rules;

/// <summary>The deadlines of a transfer. <see cref="Overall"/> is the whole transfer, not a step of its own.</summary>
public enum TransferStep
{
    /// <summary>Destination sends the contact letter after accepting the application.</summary>
    ContactLetter,
    /// <summary>Origin sends the information table after receiving the letter.</summary>
    InfoTable,
    /// <summary>Origin transfers the personal-account balance, counted from the information table.</summary>
    Balance,
    /// <summary>Destination completes after receiving the table and the money.</summary>
    Completion,
    /// <summary>The whole transfer, from acceptance to completion.</summary>
    Overall,
}

/// <summary>Which agency performs a step, and so whose provincial rule governs it.</summary>
public enum TransferSide
{
    Origin,
    Destination,
}

public static class TransferSteps
{
    public static readonly IReadOnlyList<TransferStep> All =
        [TransferStep.ContactLetter, TransferStep.InfoTable, TransferStep.Balance, TransferStep.Completion, TransferStep.Overall];

    /// <summary>Letter, completion and the overall limit belong to the destination; table and balance to the origin.</summary>
    public static TransferSide PerformedBy(this TransferStep step) => step switch
    {
        TransferStep.InfoTable or TransferStep.Balance => TransferSide.Origin,
        _ => TransferSide.Destination,
    };
}
