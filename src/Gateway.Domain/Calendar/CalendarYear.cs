using System.Collections.Frozen;
using System.Text.Json;

namespace Gateway.Domain.Calendar;

/// <summary>
/// One year of the official working-day schedule: public holidays and the weekend days worked in exchange (调休).
/// </summary>
public sealed class CalendarYear
{
    private readonly FrozenSet<DateOnly> _holidays;
    private readonly FrozenSet<DateOnly> _adjustedWorkingDays;

    public CalendarYear(int year, string authority, DateOnly published,
        IEnumerable<DateOnly> holidays, IEnumerable<DateOnly> adjustedWorkingDays)
    {
        if (year is < 1900 or > 9999) throw new ArgumentOutOfRangeException(nameof(year));
        if (string.IsNullOrWhiteSpace(authority)) throw new ArgumentException("Authority is required.", nameof(authority));
        Year = year;
        Authority = authority.Trim();
        Published = published;
        _holidays = holidays.ToFrozenSet();
        _adjustedWorkingDays = adjustedWorkingDays.ToFrozenSet();

        foreach (var d in _holidays.Concat(_adjustedWorkingDays))
            if (d.Year != year) throw new FormatException($"Calendar {year}: date {d:yyyy-MM-dd} lies outside the year.");
        foreach (var d in _adjustedWorkingDays)
        {
            if (!IsWeekend(d)) throw new FormatException($"Calendar {year}: adjusted working day {d:yyyy-MM-dd} is not a weekend day.");
            if (_holidays.Contains(d)) throw new FormatException($"Calendar {year}: {d:yyyy-MM-dd} is both a holiday and a working day.");
        }
    }

    public int Year { get; }
    public string Authority { get; }
    public DateOnly Published { get; }
    public IReadOnlySet<DateOnly> Holidays => _holidays;
    public IReadOnlySet<DateOnly> AdjustedWorkingDays => _adjustedWorkingDays;

    /// <summary>Label a deadline carries, e.g. "CN-2026 (State Council 2025-11-04)".</summary>
    public string Name => $"CN-{Year} ({Authority} {Published:yyyy-MM-dd})";

    public bool IsWorkingDay(DateOnly date)
    {
        if (date.Year != Year) throw new ArgumentOutOfRangeException(nameof(date), $"{date:yyyy-MM-dd} is not in {Year}.");
        if (_holidays.Contains(date)) return false;
        return _adjustedWorkingDays.Contains(date) || !IsWeekend(date);
    }

    internal static bool IsWeekend(DateOnly d) => d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;

    /// <summary>Parses one year, in the shape of seeds/calendars/YYYY.json.</summary>
    /// <exception cref="FormatException">The text is not valid calendar data.</exception>
    public static CalendarYear Parse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return FromJson(doc.RootElement);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException("Calendar data is not valid: " + e.Message, e);
        }
    }

    internal static CalendarYear FromJson(JsonElement e)
    {
        var year = e.GetProperty("year").GetInt32();
        var authority = e.TryGetProperty("authority", out var a) ? a.GetString() ?? "" : "";
        var published = ParseDate(e.GetProperty("published"), year);
        var holidays = new List<DateOnly>();
        if (e.TryGetProperty("holidays", out var hs))
            foreach (var h in hs.EnumerateArray())
            {
                var from = ParseDate(h.GetProperty("from"), year);
                var to = h.TryGetProperty("to", out var t) ? ParseDate(t, year) : from;
                if (to < from) throw new FormatException($"Calendar {year}: holiday range {from:yyyy-MM-dd}..{to:yyyy-MM-dd} is reversed.");
                for (var d = from; d <= to; d = d.AddDays(1)) holidays.Add(d);
            }
        var adjusted = new List<DateOnly>();
        if (e.TryGetProperty("adjustedWorkingDays", out var ws))
            foreach (var w in ws.EnumerateArray()) adjusted.Add(ParseDate(w, year));
        return new CalendarYear(year, authority, published, holidays, adjusted);
    }

    private static DateOnly ParseDate(JsonElement e, int year) =>
        DateOnly.TryParseExact(e.GetString(), "yyyy-MM-dd", out var d)
            ? d
            : throw new FormatException($"Calendar {year}: '{e}' is not a yyyy-MM-dd date.");
}
