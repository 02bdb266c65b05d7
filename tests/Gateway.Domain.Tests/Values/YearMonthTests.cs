using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Values;

public class YearMonthTests
{
    [Theory]
    [InlineData("2024-03", 2024, 3)]
    [InlineData("202403", 2024, 3)]
    [InlineData(" 1999-12 ", 1999, 12)]
    public void Both_national_formats_parse(string text, int year, int month)
    {
        Assert.Equal(new YearMonth(year, month), YearMonth.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("2024-13")]
    [InlineData("2024-00")]
    [InlineData("2024/03")]
    [InlineData("24-03")]
    [InlineData("2024-3")]
    [InlineData("abcd-ef")]
    public void Malformed_months_are_refused(string text)
    {
        Assert.False(YearMonth.TryParse(text, out _, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void Impossible_months_cannot_be_constructed()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new YearMonth(2024, 13));
        Assert.Throws<ArgumentOutOfRangeException>(() => new YearMonth(2024, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new YearMonth(0, 1));
    }

    [Fact]
    public void Month_arithmetic_agrees_with_calendar_dates()
    {
        var rng = new Random(12);
        for (var i = 0; i < 5000; i++)
        {
            var a = new YearMonth(rng.Next(1950, 2100), rng.Next(1, 13));
            var n = rng.Next(-600, 601);
            var expected = a.FirstDay.AddMonths(n);
            var b = a.AddMonths(n);
            Assert.Equal(new YearMonth(expected.Year, expected.Month), b);
            Assert.Equal(n, a.MonthsUntil(b));
            Assert.Equal(n > 0, b > a);
            Assert.Equal(Math.Sign(n), b.CompareTo(a));
        }
    }

    [Fact]
    public void Inclusive_month_count_and_neighbours()
    {
        var jan = new YearMonth(2024, 1);
        Assert.Equal(12, jan.MonthsThrough(new YearMonth(2024, 12)));
        Assert.Equal(1, jan.MonthsThrough(jan));
        Assert.Equal(0, jan.MonthsThrough(new YearMonth(2023, 12)));
        Assert.Equal(new YearMonth(2023, 12), jan.Previous);
        Assert.Equal(new DateOnly(2024, 2, 29), new YearMonth(2024, 2).LastDay);
        Assert.Equal("2024-01", jan.ToString());
        Assert.Equal("202401", jan.ToCompactString());
    }
}
