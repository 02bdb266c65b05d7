using Gateway.Domain.Rules;
using Gateway.Domain.Seeds;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Rules;

public class RegimeBookTests
{
    private static readonly RegimeBook Book = SeedLibrary.Regimes;
    private static ProvinceCode P(string code) => new(code);

    [Fact]
    public void National_rule_is_5_10_5_within_20_working_days_seed_001_item_11()
    {
        var r = Book.Fallback;
        Assert.Null(r.Province);
        Assert.Equal(new StepLimits(5, 10, 0, 5), r.Steps);
        Assert.Equal(20, r.Overall);
        Assert.False(r.OverallShorterThanSteps);
    }

    [Fact]
    public void Inner_Mongolia_gives_origin_5_for_table_and_5_more_for_balance_within_15_seed_000_item_10()
    {
        var r = Book.For(P("15"));
        Assert.Equal(new StepLimits(5, 5, 5, 5), r.Steps);
        Assert.Equal(15, r.Overall);
    }

    [Fact]
    public void Ningxia_caps_the_whole_at_15_while_keeping_its_5_10_5_steps_seed_002()
    {
        var r = Book.For(P("64"));
        Assert.Equal(new StepLimits(5, 10, 0, 5), r.Steps);
        Assert.Equal(15, r.Overall);
        Assert.True(r.OverallShorterThanSteps);
    }

    [Fact]
    public void Sichuan_completes_transfer_in_within_3_and_the_whole_within_24_seed_004_item_16()
    {
        var r = Book.For(P("51"));
        Assert.Equal(new StepLimits(5, 10, 0, 3), r.Steps);
        Assert.Equal(24, r.Overall);
    }

    [Theory]
    [InlineData("11")] [InlineData("44")] [InlineData("65")] [InlineData("66")]
    public void Provinces_without_their_own_list_use_the_national_rule(string province)
    {
        Assert.Same(Book.Fallback, Book.For(P(province)));
    }

    [Fact]
    public void Each_step_is_governed_by_the_province_that_performs_it()
    {
        // DESIGN §3 example: Inner Mongolia origin, Sichuan destination.
        var im = P("15");
        var sc = P("51");
        Assert.Equal("sichuan", Book.Governing(TransferStep.ContactLetter, im, sc).Id);
        Assert.Equal("inner-mongolia", Book.Governing(TransferStep.InfoTable, im, sc).Id);
        Assert.Equal("inner-mongolia", Book.Governing(TransferStep.Balance, im, sc).Id);
        Assert.Equal("sichuan", Book.Governing(TransferStep.Completion, im, sc).Id);
        Assert.Equal("sichuan", Book.Governing(TransferStep.Overall, im, sc).Id);
    }

    [Theory] // the regime's overall limit must match the transfer row of the province's own list
    [InlineData("national", "002036003002", 20)]
    [InlineData("inner-mongolia", "152036062002", 15)]
    [InlineData("sichuan", "512036014002", 24)]
    public void Regime_overall_matches_the_catalogue_transfer_row(string catalogue, string code, int days)
    {
        var row = SeedLibrary.Catalogue(catalogue).FindByCode(code);
        Assert.NotNull(row);
        Assert.Equal(TimeLimit.OfWorkingDays(days), row.TimeLimit with { Variants = null });
        var regime = catalogue == "national" ? Book.Fallback : Book.Provincial.Single(r => r.Id == catalogue);
        Assert.Equal(days, regime.Overall);
    }

    [Fact]
    public void Ningxia_regime_matches_its_transfer_business_items()
    {
        var items = SeedLibrary.Catalogue("ningxia").Items;
        var transfer = items.Single(i => i.Seq == 27);
        var letter = items.Single(i => i.Seq == 28);
        Assert.Equal(15, transfer.TimeLimit.Days);
        Assert.Equal(Book.For(P("64")).Overall, transfer.TimeLimit.Days);
        Assert.Equal(TimeLimitKind.Immediate, letter.TimeLimit.Kind); // kept as the source gives it
        Assert.Contains("联系函", letter.Name);
    }

    [Fact]
    public void Every_regime_names_its_source()
    {
        Assert.All(Book.Provincial.Append(Book.Fallback), r => Assert.StartsWith("seed 00", r.Source));
    }

    [Theory]
    [InlineData("""{ "fallback": "missing", "regimes": [] }""")]
    [InlineData("""{ "fallback": "n", "regimes": [ { "id": "n", "steps": { "contactLetter": -1, "infoTable": 1, "balance": 0, "completion": 1 }, "overall": 3 } ] }""")]
    [InlineData("""{ "fallback": "n", "regimes": [ { "id": "n", "overall": 3 } ] }""")]
    [InlineData("{ nope")]
    public void Invalid_regime_text_is_refused(string json)
    {
        Assert.Throws<FormatException>(() => RegimeBook.Parse(json));
    }

    [Fact]
    public void Two_regimes_for_one_province_are_refused()
    {
        const string json = """
            { "fallback": "n", "regimes": [
              { "id": "n", "steps": { "contactLetter": 5, "infoTable": 10, "balance": 0, "completion": 5 }, "overall": 20 },
              { "id": "a", "province": "51", "steps": { "contactLetter": 5, "infoTable": 10, "balance": 0, "completion": 3 }, "overall": 24 },
              { "id": "b", "province": "51", "steps": { "contactLetter": 5, "infoTable": 10, "balance": 0, "completion": 5 }, "overall": 20 } ] }
            """;
        Assert.Throws<FormatException>(() => RegimeBook.Parse(json));
    }
}
