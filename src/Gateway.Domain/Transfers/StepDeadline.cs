using Gateway.Domain.Calendar;
using Gateway.Domain.Rules;
using Gateway.Domain.Values;

namespace Gateway.Domain.Transfers;

/// <summary>One deadline of a transfer and the province whose rule set it.</summary>
/// <param name="StartsOn">Day the limit counts from (not itself counted).</param>
/// <param name="IsProjected">The start is an earlier step's deadline, because that step has not happened yet.</param>
/// <param name="DoneOn">Day the step was done, if it was.</param>
public sealed record StepDeadline(
    TransferStep Step,
    ProvinceCode GoverningProvince,
    string RegimeId,
    int LimitDays,
    DateOnly StartsOn,
    bool IsProjected,
    CalendarDeadline Due,
    DateOnly? DoneOn)
{
    public bool IsDone => DoneOn is not null;

    /// <summary>Not done and <paramref name="asOf"/> is past the due day (the due day itself is still on time).</summary>
    public bool IsOverdueOn(DateOnly asOf) => DoneOn is null && asOf > Due.Date;

    /// <summary>Done, but after the due day.</summary>
    public bool WasLate => DoneOn is { } d && d > Due.Date;
}
