using Gateway.Domain.Values;

namespace Gateway.Domain.Enrolment;

/// <summary>Facts for the benefit-continuity decision at the completion of a transfer.</summary>
/// <param name="LastPaidMonth">Last month paid before the move.</param>
/// <param name="NewStartMonth">First month of enrolment at the destination.</param>
/// <param name="SwitchesInsuranceType">Moving between employee and resident insurance.</param>
/// <param name="ContinuousEnrolmentMonths">Months of continuous basic medical insurance up to <paramref name="LastPaidMonth"/>.</param>
/// <param name="RegionWaitingPeriodMonths">The destination region's waiting period for long gaps, 0..6.</param>
/// <param name="VeteranOrMilitarySpouse">Left active service, or an army spouse now employed (seed 003 第十二条(三)).</param>
public sealed record ContinuityInput(
    YearMonth LastPaidMonth,
    YearMonth NewStartMonth,
    bool SwitchesInsuranceType,
    int ContinuousEnrolmentMonths,
    int RegionWaitingPeriodMonths,
    bool VeteranOrMilitarySpouse = false);

public enum ContinuityOutcome
{
    /// <summary>No gap and no waiting period: benefits from the first new month.</summary>
    Continuous = 1,

    /// <summary>Gap may be back-paid, no waiting period; benefits from the month paid, gap months retroactively.</summary>
    BackPaymentNoWaiting = 2,

    /// <summary>The region's waiting period applies.</summary>
    WaitingPeriod = 3,
}

/// <param name="GapMonths">Unpaid months between the last paid month and the new start.</param>
/// <param name="BackPaymentFrom">First month that may be back-paid (null when none).</param>
/// <param name="BenefitsFrom">First month with benefits at the destination.</param>
public sealed record ContinuityDecision(
    ContinuityOutcome Outcome,
    int GapMonths,
    bool BackPaymentAllowed,
    YearMonth? BackPaymentFrom,
    YearMonth? BackPaymentTo,
    int WaitingPeriodMonths,
    YearMonth BenefitsFrom,
    string Reason);

/// <summary>
/// Benefit continuity at transfer (seed 002, Ningxia business item 27 notes 6–7): a gap of at most 3 months may be back-paid with
/// no waiting period; a longer gap falls under the region's waiting period, at most 6 months. Switching between employee and
/// resident insurance keeps the first rule only after at least 2 years of continuous enrolment; below that the region's rule
/// (its waiting period) governs. Veterans and employed army spouses are not subject to waiting periods and may back-pay the gap
/// (seed 003 第十二条(三)).
/// </summary>
public static class BenefitContinuity
{
    public const int MaxGapForBackPayment = 3;
    public const int MaxWaitingPeriodMonths = 6;
    public const int ContinuousMonthsToKeepWhenSwitching = 24;

    /// <summary>
    /// Months of continuous enrolment up to the latest period's end: the latest period and every earlier one that
    /// touches or overlaps the run without a gap (overlapping months count once).
    /// </summary>
    public static int ContinuousMonths(IEnumerable<(YearMonth From, YearMonth To)> periods)
    {
        var ordered = periods.Where(p => p.To >= p.From).OrderByDescending(p => p.To).ThenBy(p => p.From).ToList();
        if (ordered.Count == 0) return 0;
        var runStart = ordered[0].From;
        var runEnd = ordered[0].To;
        foreach (var (from, to) in ordered.Skip(1))
        {
            if (to.Next < runStart) break; // a gap: the run ends here
            if (from < runStart) runStart = from;
        }
        return runStart.MonthsThrough(runEnd);
    }

    public static ContinuityDecision Decide(ContinuityInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.RegionWaitingPeriodMonths is < 0 or > MaxWaitingPeriodMonths)
            throw new ArgumentOutOfRangeException(nameof(input), input.RegionWaitingPeriodMonths,
                $"A region's waiting period is 0..{MaxWaitingPeriodMonths} months.");
        if (input.ContinuousEnrolmentMonths < 0)
            throw new ArgumentOutOfRangeException(nameof(input), input.ContinuousEnrolmentMonths, "Continuous enrolment cannot be negative.");

        var start = input.NewStartMonth;
        var gap = Math.Max(0, input.LastPaidMonth.MonthsUntil(start) - 1);
        YearMonth? gapFrom = gap > 0 ? input.LastPaidMonth.Next : null;
        YearMonth? gapTo = gap > 0 ? start.Previous : null;

        if (input.VeteranOrMilitarySpouse)
            return gap == 0
                ? new(ContinuityOutcome.Continuous, 0, false, null, null, 0, start, "No gap (veteran or army spouse: no waiting period, seed 003 第十二条(三)).")
                : new(ContinuityOutcome.BackPaymentNoWaiting, gap, true, gapFrom, gapTo, 0, start,
                    $"Veteran or army spouse: the {gap}-month gap may be back-paid and no waiting period applies (seed 003 第十二条(三)).");

        var switchTooShort = input.SwitchesInsuranceType && input.ContinuousEnrolmentMonths < ContinuousMonthsToKeepWhenSwitching;
        if (switchTooShort)
            return Waiting(input, gap, start,
                $"Switching between employee and resident insurance after {input.ContinuousEnrolmentMonths} months of continuous enrolment " +
                $"(< {ContinuousMonthsToKeepWhenSwitching}): the region's rule applies (seed 002 note 7)");

        if (gap == 0)
            return new(ContinuityOutcome.Continuous, 0, false, null, null, 0, start, "No gap: benefits continue from the first new month (seed 002).");

        if (gap <= MaxGapForBackPayment)
            return new(ContinuityOutcome.BackPaymentNoWaiting, gap, true, gapFrom, gapTo, 0, start,
                $"Gap of {gap} month(s) (≤ {MaxGapForBackPayment}): may be back-paid, no waiting period, benefits from the month paid " +
                $"and the gap retroactively (seed 002 note {(input.SwitchesInsuranceType ? 7 : 6)}).");

        return Waiting(input, gap, start, $"Gap of {gap} months (> {MaxGapForBackPayment}): the region's waiting period applies (seed 002)");
    }

    private static ContinuityDecision Waiting(ContinuityInput input, int gap, YearMonth start, string why)
    {
        var months = input.RegionWaitingPeriodMonths;
        return new(ContinuityOutcome.WaitingPeriod, gap, false, null, null, months, start.AddMonths(months),
            $"{why}: waiting period {months} month(s), benefits from {start.AddMonths(months)}.");
    }
}
