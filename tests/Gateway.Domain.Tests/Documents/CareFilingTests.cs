using Gateway.Domain.Documents;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Documents;

public class CareFilingTests
{
    private static IReadOnlyList<Breaker<CareFiling>> AllBreakers() =>
    [
        new("filing_id", f => f with { FilingId = "F 1" }),
        new("filed_on", f => f with { FiledOn = default }),
        .. Breakers.Person<CareFiling>(f => f.Person, (f, p) => f with { Person = p }, "filed_on"),
        new("second_phone", f => f with { SecondPhone = "x" }),
        new("insutype", f => f with { InsuranceType = (InsuranceType)1 }),
        new("category", f => f with { Category = (CareFilingCategory)77 }),
        new("category_note", f => f with { CategoryNote = new string('注', 201) }),
        new("insuplc_admdvs", f => f with { InsuredRegion = new DivisionCode("1501") }),
        new("destination_province", f => f with { DestinationProvince = new ProvinceCode("99") }, "destination_city", "destination_county"),
        new("destination_city", f => f with { DestinationCity = DivisionCode.Parse("510000") }),
        new("destination_county", f => f with { DestinationCounty = DivisionCode.Parse("520102") }),
        new("insured_address", f => f with { InsuredAddress = "" }),
        new("care_address", f => f with { CareAddress = "" }),
        new("valid_from", f => f with { ValidFrom = default }, "valid_to"),
        new("valid_to", f => f with { ValidTo = f.ValidFrom.AddDays(-1) }),
        new("status", f => f with { Status = 0 }),
    ];

    [Fact]
    public void Every_bad_field_is_reported_by_its_path_and_only_those()
    {
        Breakers.AssertExactPaths(Samples.Filing, f => f.Validate(), AllBreakers(), seed: 13);
    }

    [Fact]
    public void The_forms_other_category_needs_its_note()
    {
        var other = Samples.Filing with { Category = CareFilingCategory.TemporaryOther, CategoryNote = null };
        Assert.Equal("category_note", Assert.Single(other.Validate()).Field);
        Assert.Empty((other with { CategoryNote = "探亲期间就医" }).Validate());
    }

    [Fact]
    public void Filing_to_the_insured_province_is_refused_as_not_cross_region()
    {
        var local = Samples.Filing with { InsuredRegion = DivisionCode.Parse("510700") };
        var violation = Assert.Single(local.Validate());
        Assert.Equal("destination_province", violation.Field);
        Assert.Contains("not cross-region", violation.Description);
    }

    [Theory]
    [InlineData("11", "110100")]
    [InlineData("12", "120100")]
    [InlineData("31", "310100")]
    [InlineData("50", "500100")]
    [InlineData("46", "460100")]
    [InlineData("54", "540100")]
    [InlineData("66", "660100")]
    public void Filing_to_a_province_only_destination_with_a_city_is_refused_seed_004_form_13(string province, string city)
    {
        var filing = Samples.Filing with { DestinationProvince = new ProvinceCode(province), DestinationCity = new DivisionCode(city), DestinationCounty = null };
        var violation = Assert.Single(filing.Validate());
        Assert.Equal("destination_city", violation.Field);
        Assert.Contains("province only", violation.Description);

        Assert.Empty((filing with { DestinationCity = null }).Validate());
    }

    [Fact]
    public void Filing_to_Beijing_with_city_and_county_reports_both()
    {
        var filing = Samples.Filing with { DestinationProvince = new ProvinceCode("11"), DestinationCity = DivisionCode.Parse("110100"), DestinationCounty = DivisionCode.Parse("110105") };
        Assert.Equal(["destination_city", "destination_county"], filing.Validate().Select(v => v.Field).Order());
    }

    [Fact]
    public void Other_provinces_take_a_filing_to_the_province_or_to_a_city_and_county_inside_it()
    {
        Assert.Empty((Samples.Filing with { DestinationCity = null, DestinationCounty = null }).Validate());
        Assert.Empty(Samples.Filing.Validate());

        var countyElsewhere = Samples.Filing with { DestinationCounty = DivisionCode.Parse("510703") };
        Assert.Contains(countyElsewhere.Validate(), v => v.Field == "destination_county" && v.Description.Contains("destination_city"));

        var cityElsewhere = Samples.Filing with { DestinationCity = DivisionCode.Parse("520100"), DestinationCounty = null };
        Assert.Contains(cityElsewhere.Validate(), v => v.Field == "destination_city" && v.Description.Contains("destination_province"));
    }

    [Theory]
    [InlineData(CareFilingCategory.RetiredResettled)]
    [InlineData(CareFilingCategory.PostedWorker)]
    public void Retired_resettled_and_posted_worker_filings_are_for_employee_insurance_seed_004_items_17_19(CareFilingCategory category)
    {
        Assert.Empty((Samples.Filing with { Category = category }).Validate());
        var resident = Samples.Filing with { Category = category, InsuranceType = InsuranceType.Resident };
        Assert.Equal(["category"], resident.Validate().Select(v => v.Field));
    }

    [Fact]
    public void Emergency_and_referral_filings_are_open_to_resident_insurance()
    {
        Assert.Empty((Samples.Filing with { Category = CareFilingCategory.EmergencyRescue, InsuranceType = InsuranceType.Resident }).Validate());
        Assert.Empty((Samples.Filing with { Category = CareFilingCategory.Referral, InsuranceType = InsuranceType.Resident }).Validate());
    }

    [Theory]
    [InlineData(null, CareFilingAction.New, CareFilingStatus.Active)]
    [InlineData(CareFilingStatus.Active, CareFilingAction.Change, CareFilingStatus.Active)]
    [InlineData(CareFilingStatus.Suspended, CareFilingAction.Change, CareFilingStatus.Suspended)]
    [InlineData(CareFilingStatus.Active, CareFilingAction.Suspend, CareFilingStatus.Suspended)]
    [InlineData(CareFilingStatus.Suspended, CareFilingAction.Resume, CareFilingStatus.Active)]
    [InlineData(CareFilingStatus.Active, CareFilingAction.Terminate, CareFilingStatus.Terminated)]
    [InlineData(CareFilingStatus.Suspended, CareFilingAction.Terminate, CareFilingStatus.Terminated)]
    public void Lifecycle_allows_these_transitions(CareFilingStatus? from, CareFilingAction action, CareFilingStatus to)
    {
        Assert.True(CareFilingLifecycle.TryApply(from, action, out var next, out var error), error);
        Assert.Equal(to, next);
    }

    [Theory]
    [InlineData(null, CareFilingAction.Change)]
    [InlineData(null, CareFilingAction.Terminate)]
    [InlineData(CareFilingStatus.Active, CareFilingAction.New)]
    [InlineData(CareFilingStatus.Active, CareFilingAction.Resume)]
    [InlineData(CareFilingStatus.Suspended, CareFilingAction.Suspend)]
    [InlineData(CareFilingStatus.Terminated, CareFilingAction.Change)]
    [InlineData(CareFilingStatus.Terminated, CareFilingAction.Resume)]
    [InlineData(CareFilingStatus.Terminated, CareFilingAction.Terminate)]
    public void Lifecycle_refuses_these_transitions(CareFilingStatus? from, CareFilingAction action)
    {
        Assert.False(CareFilingLifecycle.TryApply(from, action, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Suspended_filing_is_not_in_force_until_resumed()
    {
        var day = new DateOnly(2026, 6, 1);
        var suspended = Samples.Filing.Apply(CareFilingAction.Suspend);
        Assert.False(suspended.IsInForceOn(day));
        Assert.True(suspended.Apply(CareFilingAction.Resume).IsInForceOn(day));
        Assert.False(Samples.Filing.IsInForceOn(new DateOnly(2027, 4, 1)));
        var ended = suspended.Apply(CareFilingAction.Terminate);
        Assert.Throws<InvalidOperationException>(() => ended.Apply(CareFilingAction.Resume));
    }
}
