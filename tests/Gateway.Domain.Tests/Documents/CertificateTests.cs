using Gateway.Domain.Documents;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Documents;

public class CertificateTests
{
    private static IReadOnlyList<Breaker<Certificate>> AllBreakers() =>
    [
        new("number", c => c with { Number = new DocumentNumber("123") }),
        new("issued_on", c => c with { IssuedOn = default }),
        .. Breakers.Person<Certificate>(c => c.Person, (c, p) => c with { Person = p }, "issued_on"),
        new("insutype", c => c with { InsuranceType = (InsuranceType)300 }),
        new("insuplc_admdvs", c => c with { OriginRegion = new DivisionCode("990100") }),
        new("enrolled_from", c => c with { EnrolledFrom = default }),
        new("enrolled_to", c => c with { EnrolledTo = default }),
        new("paid_months", c => c with { PaidMonths = -1 }),
        new("account_balance_fen", c => c with { AccountBalance = new Money(-1) }),
        .. Breakers.Agency<Certificate>("issuing_agency", c => c.IssuingAgency, (c, a) => c with { IssuingAgency = a }),
    ];

    [Fact]
    public void Every_bad_field_is_reported_by_its_path_and_only_those()
    {
        Breakers.AssertExactPaths(Samples.Certificate, c => c.Validate(), AllBreakers(), seed: 9);
    }

    [Fact]
    public void Certificate_supports_an_application_for_three_months_from_its_date_seed_004_form_9()
    {
        var cert = Samples.Certificate with { IssuedOn = new DateOnly(2026, 1, 31) };
        Assert.Equal(new DateOnly(2026, 4, 30), cert.ValidThrough);
        Assert.True(cert.IsValidForApplicationOn(new DateOnly(2026, 1, 31)));
        Assert.True(cert.IsValidForApplicationOn(new DateOnly(2026, 4, 30)));
        Assert.False(cert.IsValidForApplicationOn(new DateOnly(2026, 5, 1)));
        Assert.False(cert.IsValidForApplicationOn(new DateOnly(2026, 1, 30)));
    }

    [Fact]
    public void Number_must_name_the_origin_region_and_the_year_of_issue()
    {
        var otherRegion = Samples.Certificate with { Number = DocumentNumber.Create(DivisionCode.Parse("150200"), 2026, 1) };
        Assert.Equal(["number"], otherRegion.Validate().Select(v => v.Field));

        var otherYear = Samples.Certificate with { Number = DocumentNumber.Create(Samples.Hohhot, 2025, 1) };
        Assert.Equal(["number"], otherYear.Validate().Select(v => v.Field));
    }

    [Fact]
    public void Enrolment_period_must_be_ordered_and_end_by_the_month_of_issue()
    {
        var reversed = Samples.Certificate with { EnrolledTo = new YearMonth(2014, 12) };
        Assert.Contains(reversed.Validate(), v => v.Field == "enrolled_to" && v.Description.Contains("before"));

        var future = Samples.Certificate with { EnrolledTo = new YearMonth(2026, 4), PaidMonths = 10 };
        Assert.Equal(["enrolled_to"], future.Validate().Select(v => v.Field));
    }

    [Fact]
    public void Paid_months_cannot_exceed_the_months_of_the_period()
    {
        var cert = Samples.Certificate with { EnrolledFrom = new YearMonth(2025, 3), EnrolledTo = new YearMonth(2026, 2) };
        Assert.Empty((cert with { PaidMonths = 12 }).Validate());
        Assert.Equal(["paid_months"], (cert with { PaidMonths = 13 }).Validate().Select(v => v.Field));
    }

    [Fact]
    public void Issuing_agency_must_be_in_the_origin_province()
    {
        var cert = Samples.Certificate with { IssuingAgency = Samples.DeyangAgency };
        Assert.Equal(["issuing_agency.admdvs"], cert.Validate().Select(v => v.Field));
    }

    [Fact]
    public void Sex_and_birth_date_must_agree_with_the_identity_number()
    {
        var person = Samples.Person with { Gender = Gender.Female, BirthDate = Samples.Birth.AddDays(1) };
        var paths = (Samples.Certificate with { Person = person }).Validate().Select(v => v.Field).ToList();
        Assert.Equal(["person.brdy", "person.gend"], paths.Order());

        var notStated = Samples.Person with { Gender = Gender.NotStated, BirthDate = null };
        Assert.Empty((Samples.Certificate with { Person = notStated }).Validate());
    }

    [Fact]
    public void Balance_is_shown_in_capitals()
    {
        Assert.Equal("壹万贰仟叁佰肆拾伍元陆角柒分", Samples.Certificate.AccountBalanceInCapitals);
    }
}
