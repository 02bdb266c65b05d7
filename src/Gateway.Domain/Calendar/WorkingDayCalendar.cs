using System.Collections.Immutable;
using System.Text.Json;

namespace Gateway.Domain.Calendar;

/// <summary>
/// Immutable official working-day calendar built from per-year data (<see cref="CalendarYear"/>).
/// Years not loaded fall back to weekends-only, and every deadline computed across such a year says so.
/// </summary>
/// <remarks>
/// Convention: "within N working days of D" means the Nth working day after D; D itself is never counted,
/// whether or not it is a working day. So a step started on Friday with 1 day is due on Monday (if Monday works).
/// Adding years yields a new calendar; deadlines already computed keep the calendar label they were made with.
/// </remarks>
public sealed class WorkingDayCalendar
{
    private readonly ImmutableSortedDictionary<int, CalendarYear> _years;

    public WorkingDayCalendar(IEnumerable<CalendarYear> years)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<int, CalendarYear>();
        foreach (var y in years)
            if (!b.TryAdd(y.Year, y)) throw new ArgumentException($"Calendar year {y.Year} given twice.", nameof(years));
        _years = b.ToImmutable();
    }

    private WorkingDayCalendar(ImmutableSortedDictionary<int, CalendarYear> years) => _years = years;

    /// <summary>No official years at all: weekends-only everywhere.</summary>
    public static WorkingDayCalendar Empty { get; } = new(ImmutableSortedDictionary<int, CalendarYear>.Empty);

    public IReadOnlyList<CalendarYear> Years => _years.Values.ToList();

    public bool Covers(int year) => _years.ContainsKey(year);

    /// <summary>Parses calendar text: one year object, or an array of them.</summary>
    /// <exception cref="FormatException">The text is not valid calendar data.</exception>
    public static WorkingDayCalendar Parse(string json) => Empty.WithYears(json);

    /// <summary>
    /// Returns a calendar with the years in <paramref name="jsonDocuments"/> added (each a year object or an array).
    /// A year already loaded is replaced, so an operator can correct a published schedule.
    /// </summary>
    public WorkingDayCalendar WithYears(params string[] jsonDocuments)
    {
        var years = new List<CalendarYear>();
        foreach (var json in jsonDocuments)
        {
            try
            {
                using var doc = JsonDocument.Parse(json);
                if (doc.RootElement.ValueKind == JsonValueKind.Array)
                    years.AddRange(doc.RootElement.EnumerateArray().Select(CalendarYear.FromJson));
                else
                    years.Add(CalendarYear.FromJson(doc.RootElement));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
            {
                throw new FormatException("Calendar data is not valid: " + e.Message, e);
            }
        }
        return WithYears(years);
    }

    public WorkingDayCalendar WithYears(IEnumerable<CalendarYear> years)
    {
        var b = _years.ToBuilder();
        foreach (var y in years) b[y.Year] = y;
        return new WorkingDayCalendar(b.ToImmutable());
    }

    public bool IsWorkingDay(DateOnly date) =>
        _years.TryGetValue(date.Year, out var y) ? y.IsWorkingDay(date) : !CalendarYear.IsWeekend(date);

    /// <summary>
    /// The <paramref name="days"/>th working day after <paramref name="start"/> (start not counted; 0 returns start).
    /// </summary>
    public CalendarDeadline AddWorkingDays(DateOnly start, int days)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        var used = new SortedSet<int>();
        var date = start;
        for (var left = days; left > 0;)
        {
            date = date.AddDays(1);
            used.Add(date.Year);
            if (IsWorkingDay(date)) left--;
        }
        return Describe(date, used);
    }

    /// <summary>Working days in (from, to]: how many working days after <paramref name="from"/> up to and including <paramref name="to"/>.</summary>
    public int WorkingDaysBetween(DateOnly from, DateOnly to)
    {
        var n = 0;
        for (var d = from.AddDays(1); d <= to; d = d.AddDays(1))
            if (IsWorkingDay(d)) n++;
        return n;
    }

    private CalendarDeadline Describe(DateOnly date, SortedSet<int> years)
    {
        if (years.Count == 0) years.Add(date.Year);
        var official = years.Where(_years.ContainsKey).Select(y => _years[y].Name).ToList();
        var missing = years.Where(y => !_years.ContainsKey(y)).ToList();
        var parts = official.Concat(missing.Select(y => $"weekends-only {y}")).ToList();
        string? note = missing.Count == 0
            ? null
            : $"no official calendar loaded for {string.Join(", ", missing)}: weekends-only fallback, public holidays ignored";
        return new CalendarDeadline(date, string.Join(" + ", parts), note);
    }
}
