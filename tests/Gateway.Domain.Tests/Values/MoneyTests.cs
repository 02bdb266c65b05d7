using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Values;

public class MoneyTests
{
    [Theory]
    [InlineData("12345.67", 1234567)]
    [InlineData("12345.6", 1234560)]
    [InlineData("12345", 1234500)]
    [InlineData("0.01", 1)]
    [InlineData("0.1", 10)]
    [InlineData("-0.05", -5)]
    [InlineData(" 007.00 ", 700)]
    [InlineData("9999999999999999.99", 999_999_999_999_999_999)]
    public void Yuan_strings_parse_exactly_to_fen(string text, long fen)
    {
        Assert.True(Money.TryParse(text, out var money, out var error), error);
        Assert.Equal(fen, money.Fen);
    }

    [Theory]
    [InlineData("", "required")]
    [InlineData("1.234", "two decimals")]
    [InlineData("1,000.00", "yuan amount")]
    [InlineData("1e3", "yuan amount")]
    [InlineData("+5", "yuan amount")]
    [InlineData("5.", "yuan amount")]
    [InlineData(".5", "yuan amount")]
    [InlineData("-", "yuan amount")]
    [InlineData("10000000000000000", "too large")]
    public void Malformed_amounts_are_refused(string text, string reasonFragment)
    {
        Assert.False(Money.TryParse(text, out _, out var error));
        Assert.Contains(reasonFragment, error);
        Assert.Throws<FormatException>(() => Money.Parse(text));
    }

    [Fact]
    public void Printing_and_parsing_round_trip_for_random_amounts()
    {
        var rng = new Random(100);
        for (var i = 0; i < 5000; i++)
        {
            var money = new Money(rng.NextInt64(-Money.MaxFen, Money.MaxFen + 1));
            Assert.Equal(money, Money.Parse(money.ToString()));
        }
        Assert.Equal("-0.50", new Money(-50).ToString());
    }

    [Theory]
    [InlineData(1234567, "壹万贰仟叁佰肆拾伍元陆角柒分")]
    [InlineData(0, "零元整")]
    [InlineData(1, "壹分")]
    [InlineData(10, "壹角整")]
    [InlineData(100, "壹元整")]
    [InlineData(1000, "壹拾元整")]
    [InlineData(10000, "壹佰元整")]
    [InlineData(100500, "壹仟零伍元整")]
    [InlineData(105, "壹元零伍分")]
    [InlineData(168032, "壹仟陆佰捌拾元零叁角贰分")] // 支付结算办法 example
    [InlineData(10700053, "壹拾万柒仟元零伍角叁分")] // 支付结算办法 example
    [InlineData(140950, "壹仟肆佰零玖元伍角整")]
    [InlineData(100000000, "壹佰万元整")]
    [InlineData(1000010000, "壹仟万零壹佰元整")]
    [InlineData(10000000001, "壹亿元零壹分")]
    [InlineData(10000500000, "壹亿零伍仟元整")]
    [InlineData(10001000000, "壹亿零壹万元整")]
    [InlineData(1010100000, "壹仟零壹拾万壹仟元整")]
    [InlineData(100000000000000, "壹万亿元整")]
    [InlineData(-250, "负贰元伍角整")]
    public void Capitals_follow_the_bill_writing_conventions(long fen, string expected)
    {
        Assert.Equal(expected, new Money(fen).ToChineseCapitals());
        Assert.Equal(expected, ReferenceCapitals.Render(fen));
    }

    [Fact]
    public void Capitals_agree_with_the_independent_reference_for_many_amounts()
    {
        var rng = new Random(20260101);
        var samples = new List<long> { 0, 1, 10, 100, 1000, 10000, 100000000, 10000000001, 1000010000, Money.MaxFen };
        for (var i = 0; i < 20000; i++)
        {
            // Spread over magnitudes up to ≥ 10^10 fen; zero-heavy digits exercise the 零 rules.
            var digits = rng.Next(1, 19);
            var chars = new char[digits];
            for (var d = 0; d < digits; d++) chars[d] = rng.Next(3) == 0 ? (char)('0' + rng.Next(10)) : '0';
            chars[0] = (char)('1' + rng.Next(9));
            samples.Add(long.Parse(new string(chars)));
            samples.Add(rng.NextInt64(0, 100_000_000_000));
        }
        foreach (var fen in samples)
            Assert.True(ReferenceCapitals.Render(fen) == new Money(fen).ToChineseCapitals(), $"{fen} fen: product '{new Money(fen).ToChineseCapitals()}', reference '{ReferenceCapitals.Render(fen)}'");
    }

    [Fact]
    public void Amounts_of_ten_to_the_sixteen_yuan_have_no_capitals()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Money(Money.MaxFen + 1).ToChineseCapitals());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Money(long.MinValue).ToChineseCapitals());
    }

    [Fact]
    public void Arithmetic_is_checked_and_ordered()
    {
        Assert.Equal(new Money(150), new Money(100) + new Money(50));
        Assert.True(new Money(1) > Money.Zero);
        Assert.Throws<OverflowException>(() => new Money(long.MaxValue) + new Money(1));
    }
}
