using Gateway.Domain.Rules;
using Gateway.Domain.Seeds;

namespace Gateway.Domain.Tests.Rules;

public class ServiceCatalogueTests
{
    [Theory]
    [InlineData("national", null, 28)]        // seed 001
    [InlineData("inner-mongolia", "15", 28)]  // seed 000
    [InlineData("ningxia", "64", 55)]         // seed 002, business items
    [InlineData("sichuan", "51", 40)]         // seed 004
    public void Every_row_of_each_list_is_present_in_order(string id, string? province, int rows)
    {
        var c = SeedLibrary.Catalogue(id);
        Assert.Equal(province, c.Province?.Value);
        Assert.Equal(Enumerable.Range(1, rows), c.Items.Select(i => i.Seq));
        Assert.All(c.Items, i => Assert.False(string.IsNullOrWhiteSpace(i.Name)));
        var codes = c.Items.Where(i => i.Code is not null).Select(i => i.Code).ToList();
        Assert.Equal(codes.Count, codes.Distinct().Count());
    }

    [Fact]
    public void Rows_have_steps_unless_the_list_defers_to_the_agreement_rules()
    {
        foreach (var c in SeedLibrary.Catalogues)
            foreach (var i in c.Items)
            {
                if (i.TimeLimit.Kind == TimeLimitKind.PerAgreement) Assert.Empty(i.Steps);
                else
                {
                    Assert.True(i.Steps.Count >= 3, $"{c.Id} #{i.Seq} has steps {string.Join("-", i.Steps)}");
                    Assert.Equal("申请", i.Steps[0]);
                    Assert.Equal("办结", i.Steps[^1]);
                }
            }
    }

    [Fact]
    public void Certificate_is_immediate_and_transfer_is_20_days_in_the_national_list_items_10_11()
    {
        var c = SeedLibrary.Catalogue("national");
        Assert.Equal(TimeLimitKind.Immediate, c.FindByCode("002036003001")!.TimeLimit.Kind);
        Assert.Equal(20, c.FindByCode("002036003002")!.TimeLimit.Days);
        Assert.Contains("参保凭证", c.FindByCode("002036003001")!.Name);
    }

    [Fact]
    public void National_filing_items_12_to_15_are_immediate()
    {
        var c = SeedLibrary.Catalogue("national");
        var filings = c.Items.Where(i => i.Seq is >= 12 and <= 15).ToList();
        Assert.Equal(4, filings.Count);
        Assert.All(filings, i => Assert.Equal(TimeLimitKind.Immediate, i.TimeLimit.Kind));
        Assert.All(filings, i => Assert.EndsWith("备案", i.Name));
    }

    [Fact]
    public void Inner_Mongolia_lists_temporary_outside_care_filing_as_cross_province()
    {
        var c = SeedLibrary.Catalogue("inner-mongolia");
        var item = c.FindByCode("152036050005")!;
        Assert.Equal("其他临时外出就医人员备案", item.Name);
        Assert.True(item.CrossProvince);
        Assert.True(c.FindByCode("152036062002")!.CrossProvince); // the transfer itself
        Assert.False(c.FindByCode("152036061003")!.CrossProvince);
        Assert.All(c.Items, i => Assert.NotNull(i.CrossProvince));
    }

    [Fact]
    public void Source_layout_breaks_are_repaired_in_Inner_Mongolia()
    {
        var c = SeedLibrary.Catalogue("inner-mongolia");
        Assert.Equal(7, c.FindByCode("152036064001")!.MainItem.Seq);          // printed under main item 6
        Assert.Equal("15203606600Y", c.FindByCode("152036066002")!.MainItem.Code); // code split over a page
        Assert.Null(c.Items.Single(i => i.Seq == 16).Code);                    // the source gives none
    }

    [Fact]
    public void Sichuan_lists_emergency_care_filing_item_21_as_immediate()
    {
        var item = SeedLibrary.Catalogue("sichuan").Items.Single(i => i.Seq == 21);
        Assert.Equal("512036015005", item.Code);
        Assert.Contains("急诊", item.Name);
        Assert.Equal(TimeLimitKind.Immediate, item.TimeLimit.Kind);
    }

    [Fact]
    public void Mixed_time_limits_keep_each_case()
    {
        var staff = SeedLibrary.Catalogue("national").FindByCode("002036001002")!.TimeLimit;
        Assert.Equal(TimeLimitKind.Variants, staff.Kind);
        Assert.Equal(5, staff.Variants!.Single(v => v.When == "employedStaff").Days);
        Assert.Equal(TimeLimitKind.Immediate, staff.Variants!.Single(v => v.When == "flexibleEmployment").Kind);

        var nxFiling = SeedLibrary.Catalogue("ningxia").Items.Single(i => i.Seq == 30).TimeLimit;
        Assert.Equal(2, nxFiling.Variants!.Single(v => v.When == "online").Days);

        var designation = SeedLibrary.Catalogue("ningxia").Items.Single(i => i.Seq == 49).TimeLimit;
        Assert.Equal(new TimeLimit(TimeLimitKind.CalendarDays, 60), designation);
    }

    [Fact]
    public void Ningxia_business_items_point_to_their_sub_item()
    {
        var items = SeedLibrary.Catalogue("ningxia").Items;
        Assert.All(items, i => Assert.NotNull(i.SubItem?.Code));
        Assert.Equal("002036218000", items.Single(i => i.Seq == 29).SubItem!.Code);
        Assert.Equal(9, items.Single(i => i.Seq == 26).SubItem!.Seq);
    }

    [Theory]
    [InlineData("""{ "catalogue": "x", "items": [ { "seq": 1, "name": "a", "timeLimit": { "kind": "weeks" } } ] }""")]
    [InlineData("""{ "catalogue": "x", "items": [ { "seq": 1, "name": "a", "timeLimit": { "kind": "workingDays" } } ] }""")]
    [InlineData("""{ "catalogue": "x", "items": [ { "seq": 1, "timeLimit": { "kind": "immediate" } } ] }""")]
    [InlineData("""{ "items": [] }""")]
    public void Invalid_catalogue_text_is_refused(string json)
    {
        Assert.Throws<FormatException>(() => ServiceCatalogue.Parse(json));
    }
}
