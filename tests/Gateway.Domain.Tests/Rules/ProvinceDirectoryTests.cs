using Gateway.Domain.Rules;
using Gateway.Domain.Seeds;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Rules;

public class ProvinceDirectoryTests
{
    private static readonly ProvinceDirectory Dir = SeedLibrary.Provinces;

    [Fact]
    public void All_31_provinces_and_the_Corps_are_listed_with_GB_T_2260_codes()
    {
        string[] expected =
        [
            "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
            "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "66",
        ];
        Assert.Equal(expected, Dir.All.Select(p => p.Code.Value).Order());
        Assert.Equal("新疆生产建设兵团", Dir.Get(new ProvinceCode("66")).Name);
        Assert.Equal("内蒙古自治区", Dir.Get(new ProvinceCode("15")).Name);
    }

    [Fact]
    public void Directory_and_the_province_code_value_type_agree()
    {
        Assert.Equal(ProvinceCode.All.Select(c => c.Value), Dir.All.Select(p => p.Code.Value).Order());
    }

    [Fact]
    public void Filings_to_Beijing_Tianjin_Shanghai_Chongqing_Hainan_Tibet_and_the_Corps_name_the_province_only_seed_004()
    {
        var flagged = Dir.All.Where(p => p.FilingsNameProvinceOnly).Select(p => p.Code.Value).Order();
        Assert.Equal(["11", "12", "31", "46", "50", "54", "66"], flagged);
    }

    [Theory]
    [InlineData("15", "150100", "呼和浩特市")]
    [InlineData("51", "510600", "德阳市")]
    [InlineData("64", "640100", "银川市")]
    public void Demo_provinces_have_pooling_regions(string province, string region, string name)
    {
        var p = Dir.Get(new ProvinceCode(province));
        Assert.True(p.PoolingRegions.Count >= 5);
        Assert.All(p.PoolingRegions, r => Assert.StartsWith(province, r.Code.Value));
        Assert.Equal(name, Dir.FindPoolingRegion(new DivisionCode(region))?.Name);
    }

    [Fact]
    public void Unknown_codes_are_not_found()
    {
        Assert.Null(Dir.Find(new ProvinceCode("99")));
        Assert.Throws<KeyNotFoundException>(() => Dir.Get(new ProvinceCode("99")));
        Assert.Null(Dir.FindPoolingRegion(new DivisionCode("519999")));
    }

    [Theory]
    [InlineData("""{ "provinces": [ { "code": "5", "name": "x" } ] }""")]
    [InlineData("""{ "provinces": [ { "code": "51", "name": "x" }, { "code": "51", "name": "y" } ] }""")]
    [InlineData("""{ "provinces": [ { "code": "51", "name": "x", "poolingRegions": [ { "code": "640100", "name": "银川市" } ] } ] }""")]
    public void Invalid_division_text_is_refused(string json)
    {
        Assert.Throws<FormatException>(() => ProvinceDirectory.Parse(json));
    }
}
