using Gateway.Domain.Documents;
using Gateway.Domain.Seeds;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Values;

public class DivisionCodeTests
{
    [Fact]
    public void Division_code_knows_its_province_and_level()
    {
        var deyang = DivisionCode.Parse("510600");
        Assert.Equal(new ProvinceCode("51"), deyang.Province);
        Assert.True(deyang.IsPrefectureLevel);
        Assert.False(deyang.IsProvinceLevel);
        Assert.True(DivisionCode.Parse("510000").IsProvinceLevel);
        Assert.True(DivisionCode.Parse("510603").IsCountyLevel);
        Assert.Equal(deyang, DivisionCode.Parse("510603").Prefecture);
    }

    [Fact]
    public void Containment_follows_the_code_hierarchy()
    {
        Assert.True(DivisionCode.Parse("510000").Contains(DivisionCode.Parse("510603")));
        Assert.True(DivisionCode.Parse("510600").Contains(DivisionCode.Parse("510603")));
        Assert.False(DivisionCode.Parse("510600").Contains(DivisionCode.Parse("510703")));
        Assert.False(DivisionCode.Parse("510603").Contains(DivisionCode.Parse("510600")));
    }

    [Theory]
    [InlineData("", "required")]
    [InlineData("51060", "6 digits")]
    [InlineData("51060A", "6 digits")]
    [InlineData("990600", "not a known province")]
    [InlineData("810000", "not a known province")]
    public void Malformed_division_codes_are_refused(string text, string reasonFragment)
    {
        Assert.False(DivisionCode.TryParse(text, out _, out var error));
        Assert.Contains(reasonFragment, error);
    }

    [Theory]
    [InlineData("", "required")]
    [InlineData("5", "2 digits")]
    [InlineData("5a", "2 digits")]
    [InlineData("99", "not a known province")]
    public void Malformed_province_codes_are_refused(string text, string reasonFragment)
    {
        Assert.False(ProvinceCode.TryParse(text, out _, out var error));
        Assert.Contains(reasonFragment, error);
    }

    [Fact]
    public void Known_provinces_are_the_31_provinces_and_the_Corps()
    {
        Assert.Equal(32, ProvinceCode.All.Count);
        Assert.Contains(new ProvinceCode("66"), ProvinceCode.All);
        Assert.Equal(DivisionCode.Parse("660000"), new ProvinceCode("66").ToDivisionCode());
    }

    [Fact]
    public void Known_provinces_and_province_only_filing_destinations_agree_with_the_seed_divisions()
    {
        var seeded = SeedLibrary.Provinces.All;
        Assert.Equal(seeded.Select(p => p.Code.Value).Order(), ProvinceCode.All.Select(p => p.Value));
        Assert.Equal(seeded.Where(p => p.FilingsNameProvinceOnly).Select(p => p.Code.Value).Order(),
            CareFiling.ProvinceOnlyDestinations.Order());
    }
}
