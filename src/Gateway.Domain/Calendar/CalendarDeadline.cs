namespace Gateway.Domain.Calendar;

/// <summary>
/// A date produced by working-day arithmetic, with the calendars that produced it so the figure stays explainable
/// after new calendar years are loaded.
/// </summary>
/// <param name="Date">The deadline (last day on which the step is still on time).</param>
/// <param name="Calendar">Calendars used, e.g. "CN-2026 (State Council 2025-11-04)"; several are joined with " + ".</param>
/// <param name="FallbackNote">Set when some day fell in a year with no official schedule loaded (weekends-only was used).</param>
public sealed record CalendarDeadline(DateOnly Date, string Calendar, string? FallbackNote = null)
{
    public bool UsedFallback => FallbackNote is not null;

    public override string ToString() =>
        UsedFallback ? $"{Date:yyyy-MM-dd} [{Calendar}; {FallbackNote}]" : $"{Date:yyyy-MM-dd} [{Calendar}]";
}
