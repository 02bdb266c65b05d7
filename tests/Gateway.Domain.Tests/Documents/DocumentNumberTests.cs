using Gateway.Domain.Documents;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Documents;

public class DocumentNumberTests
{
    [Fact]
    public void Number_is_province_region_year_and_five_digit_sequence()
    {
        var number = DocumentNumber.Create(DivisionCode.Parse("510600"), 2026, 42);
        Assert.Equal("51510600202600042", number.Value);
        Assert.Equal("51 510600 2026 第00042号", number.ToDisplayString());
        Assert.Equal(new ProvinceCode("51"), number.Province);
        Assert.Equal(DivisionCode.Parse("510600"), number.PoolingRegion);
        Assert.Equal(2026, number.Year);
        Assert.Equal(42, number.Sequence);
        Assert.Equal(number, DocumentNumber.Parse(" 51510600202600042 "));
    }

    [Fact]
    public void Random_numbers_round_trip_through_text()
    {
        var rng = new Random(5);
        var regions = new[] { "150100", "510600", "640100", "110000", "660000" };
        for (var i = 0; i < 2000; i++)
        {
            var region = DivisionCode.Parse(regions[rng.Next(regions.Length)]);
            var number = DocumentNumber.Create(region, rng.Next(1990, 2100), rng.Next(1, DocumentNumber.MaxSequence + 1));
            var parsed = DocumentNumber.Parse(number.Value);
            Assert.Equal((number.PoolingRegion, number.Year, number.Sequence), (parsed.PoolingRegion, parsed.Year, parsed.Sequence));
        }
    }

    [Theory]
    [InlineData("", "required")]
    [InlineData("5151060020260004", "17 digits")]
    [InlineData("5151060020260004A", "17 digits")]
    [InlineData("15510600202600042", "province digits")]
    [InlineData("99990600202600042", "pooling region")]
    [InlineData("51510600202600000", "sequence")]
    [InlineData("51510600198900001", "1990")]
    public void Malformed_numbers_are_refused(string text, string reasonFragment)
    {
        Assert.False(DocumentNumber.TryParse(text, out _, out var error));
        Assert.Contains(reasonFragment, error);
        Assert.Throws<InvalidOperationException>(() => new DocumentNumber(text).Year);
    }

    [Fact]
    public void Create_refuses_out_of_range_parts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DocumentNumber.Create(DivisionCode.Parse("510600"), 2026, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => DocumentNumber.Create(DivisionCode.Parse("510600"), 2026, 100_000));
        Assert.Throws<ArgumentException>(() => DocumentNumber.Create(new DivisionCode("5106"), 2026, 1));
    }
}
