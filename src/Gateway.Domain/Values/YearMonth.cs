using System.Globalization;

namespace Gateway.Domain.Values;

/// <summary>A calendar month, e.g. 2024-03, used for enrolment periods. Constructing an impossible month throws.</summary>
public readonly record struct YearMonth(int Year, int Month) : IComparable<YearMonth>
{
    public int Year { get; } = Year is >= 1 and <= 9999 ? Year : throw new ArgumentOutOfRangeException(nameof(Year), Year, "Year must be 1..9999.");
    public int Month { get; } = Month is >= 1 and <= 12 ? Month : throw new ArgumentOutOfRangeException(nameof(Month), Month, "Month must be 1..12.");

    /// <summary>Months since year 0, so differences are plain subtraction.</summary>
    private int Index => Year * 12 + (Month - 1);

    public static YearMonth FromDate(DateOnly date) => new(date.Year, date.Month);

    public DateOnly FirstDay => new(Year, Month, 1);
    public DateOnly LastDay => new(Year, Month, DateTime.DaysInMonth(Year, Month));

    public YearMonth AddMonths(int months)
    {
        var index = checked(Index + months);
        return new YearMonth(Math.DivRem(index, 12, out var rem), rem + 1);
    }

    public YearMonth Next => AddMonths(1);
    public YearMonth Previous => AddMonths(-1);

    /// <summary>Whole months from this month to <paramref name="later"/>: 2024-01 → 2024-04 is 3; negative when earlier.</summary>
    public int MonthsUntil(YearMonth later) => later.Index - Index;

    /// <summary>Months in the inclusive range this..<paramref name="to"/> (0 when <paramref name="to"/> is earlier).</summary>
    public int MonthsThrough(YearMonth to) => Math.Max(0, MonthsUntil(to) + 1);

    public int CompareTo(YearMonth other) => Index.CompareTo(other.Index);
    public static bool operator <(YearMonth a, YearMonth b) => a.CompareTo(b) < 0;
    public static bool operator >(YearMonth a, YearMonth b) => a.CompareTo(b) > 0;
    public static bool operator <=(YearMonth a, YearMonth b) => a.CompareTo(b) <= 0;
    public static bool operator >=(YearMonth a, YearMonth b) => a.CompareTo(b) >= 0;

    public static YearMonth Max(YearMonth a, YearMonth b) => a >= b ? a : b;
    public static YearMonth Min(YearMonth a, YearMonth b) => a <= b ? a : b;

    /// <summary>Parses "yyyy-MM" or "yyyyMM".</summary>
    public static bool TryParse(string? text, out YearMonth value, out string? error)
    {
        value = default;
        var s = text?.Trim() ?? "";
        string yearText, monthText;
        if (s.Length == 7 && s[4] == '-') (yearText, monthText) = (s[..4], s[5..]);
        else if (s.Length == 6) (yearText, monthText) = (s[..4], s[4..]);
        else
        {
            error = s.Length == 0 ? "required" : "must be yyyy-MM or yyyyMM";
            return false;
        }
        if (!yearText.All(char.IsAsciiDigit) || !monthText.All(char.IsAsciiDigit))
        {
            error = "must be yyyy-MM or yyyyMM";
            return false;
        }
        var year = int.Parse(yearText, CultureInfo.InvariantCulture);
        var month = int.Parse(monthText, CultureInfo.InvariantCulture);
        if (year < 1 || month is < 1 or > 12)
        {
            error = "not a real month";
            return false;
        }
        value = new YearMonth(year, month);
        error = null;
        return true;
    }

    public static YearMonth Parse(string text) =>
        TryParse(text, out var value, out var error) ? value : throw new FormatException($"Year-month '{text}': {error}.");

    public override string ToString() => $"{Year:0000}-{Month:00}";

    /// <summary>"yyyyMM", the compact form national interfaces use.</summary>
    public string ToCompactString() => $"{Year:0000}{Month:00}";
}
