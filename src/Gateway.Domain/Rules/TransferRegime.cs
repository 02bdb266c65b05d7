using Gateway.Domain.Values;

namespace Gateway.Domain.Rules;

/// <summary>Per-step limits in working days. <see cref="Balance"/> counts from the information table's deadline.</summary>
public sealed record StepLimits(int ContactLetter, int InfoTable, int Balance, int Completion)
{
    /// <summary>Longest path through the steps: what the steps alone would allow for the whole transfer.</summary>
    public int Sum => ContactLetter + InfoTable + Balance + Completion;
}

/// <summary>
/// A province's transfer deadlines: per-step limits and an overall limit, all in working days.
/// Both kinds are deadlines; when the overall limit is shorter than the steps' sum the earlier date governs.
/// </summary>
/// <param name="Province">Null for the national regime (the fallback).</param>
/// <param name="Source">Where the figures come from (seed document and item).</param>
public sealed record TransferRegime(
    string Id,
    ProvinceCode? Province,
    string Name,
    StepLimits Steps,
    int Overall,
    string Source,
    string? Notes = null)
{
    public int LimitFor(TransferStep step) => step switch
    {
        TransferStep.ContactLetter => Steps.ContactLetter,
        TransferStep.InfoTable => Steps.InfoTable,
        TransferStep.Balance => Steps.Balance,
        TransferStep.Completion => Steps.Completion,
        TransferStep.Overall => Overall,
        _ => throw new ArgumentOutOfRangeException(nameof(step)),
    };

    /// <summary>True when the overall cap bites before the steps do (e.g. Ningxia: 15 against 5+10+5).</summary>
    public bool OverallShorterThanSteps => Overall < Steps.Sum;
}
