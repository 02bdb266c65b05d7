namespace Gateway.Domain.Values;

/// <summary>A calendar month, e.g. 2024-03, used for enrolment periods.</summary>
public readonly record struct YearMonth(int Year, int Month) : IComparable<YearMonth>
{
    public int CompareTo(YearMonth other) => (Year * 12 + Month).CompareTo(other.Year * 12 + other.Month);
    public override string ToString() => $"{Year:0000}-{Month:00}";
}
