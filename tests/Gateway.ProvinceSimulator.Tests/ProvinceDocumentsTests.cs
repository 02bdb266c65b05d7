using Gateway.Contracts.Transfer.V1;

namespace Gateway.ProvinceSimulator.Tests;

public sealed class ProvinceDocumentsTests
{
    [Theory]
    [InlineData("51", "四川省医疗保障事务中心", "成都市医疗保障事务中心", "028-")]
    [InlineData("15", "内蒙古自治区医疗保障事务中心", "呼和浩特市医疗保障事务中心", "0471-")]
    [InlineData("64", "宁夏回族自治区医疗保障事务中心", "银川市医疗保障事务中心", "0951-")]
    public void Agencies_carry_the_province_names_codes_and_phone_area(string province, string provinceAgency, string capitalAgency, string areaPrefix)
    {
        var docs = new ProvinceDocuments(ProvinceProfile.For(province));
        Assert.Equal(provinceAgency, docs.BuildProvinceAgency().Name);
        var agency = docs.BuildDestinationAgency();
        Assert.Equal(capitalAgency, agency.Name);
        Assert.Matches($"^{province}[0-9]{{2}}00$", agency.Admdvs);
        Assert.Matches("^[0-9]{6}$", agency.Postcode);
        Assert.StartsWith(areaPrefix, agency.Phone);
        Assert.NotEmpty(agency.Contact);
        Assert.Equal(agency, docs.BuildDestinationAgency());

        var account = docs.BuildBankAccount(agency);
        Assert.Equal(agency.Name, account.AccountName);
        Assert.Matches("^[0-9]{12}$", account.BankCode);
        Assert.Matches("^[0-9]{19}$", account.AccountNumber);
    }

    [Fact]
    public void Certificate_carries_the_person_periods_and_balance_and_leaves_the_number_to_the_node()
    {
        var registry = SyntheticRegistry.Create("15", 20, seed: 4);
        var person = registry.People.First(p => p.Periods.Count > 1 && p.BalanceFen > 0);
        var docs = new ProvinceDocuments(registry.Profile);

        var certificate = docs.BuildCertificate(person, null, new DateOnly(2026, 3, 2));

        Assert.Equal("", certificate.Number);
        Assert.Equal("2026-03-02", certificate.IssuedOn);
        Assert.Equal(person.IdentityNumber, certificate.Person.Certno);
        Assert.Equal("01", certificate.Person.PsnCertType);
        Assert.Equal(person.BirthDate.ToString("yyyy-MM-dd"), certificate.Person.Brdy);
        Assert.Equal(person.PoolingRegion, certificate.InsuplcAdmdvs);
        Assert.Equal(person.Periods[0].FromMonth.ToString("yyyy-MM"), certificate.EnrolledFrom);
        Assert.Equal(person.Periods[^1].ToMonth.ToString("yyyy-MM"), certificate.EnrolledTo);
        Assert.Equal(person.Periods.Sum(p => p.PaidMonths), certificate.PaidMonths);
        Assert.Equal(person.BalanceFen, certificate.AccountBalanceFen);
        Assert.Equal(person.PoolingRegion, certificate.IssuingAgency.Admdvs);
    }

    [Fact]
    public void Destination_application_names_the_origin_agency_and_a_local_contact_address()
    {
        var origin = SyntheticRegistry.Create("15", 10, seed: 4);
        var person = origin.People[0];
        var certificate = new ProvinceDocuments(origin.Profile).BuildCertificate(person, null, new DateOnly(2026, 3, 2));
        certificate.Number = "15010020260000001";
        var sichuan = new ProvinceDocuments(ProvinceProfile.For("51"));

        var request = sichuan.BuildSubmitApplication(certificate, new DateOnly(2026, 3, 9));

        Assert.Equal(certificate, request.Certificate);
        Assert.Equal(certificate.IssuingAgency, request.Application.OriginAgency);
        Assert.Equal(person.IdentityNumber, request.Application.Person.Certno);
        Assert.StartsWith("四川省", request.Application.Person.ContactAddress);
        Assert.StartsWith("51", request.DestinationAgency.Admdvs);
        Assert.Equal(request.DestinationAgency.Name, request.DestinationAccount.AccountName);
        Assert.Equal("2026-03-09", request.AcceptedOn);
        Assert.Equal(person.InsuranceType, request.Application.Insutype);
        // A retry builds the very same request, so the node's idempotency check accepts it.
        Assert.Equal(request, sichuan.BuildSubmitApplication(certificate, new DateOnly(2026, 3, 9)));
    }

    [Fact]
    public void Provinces_without_detailed_data_still_get_a_usable_profile_and_bad_codes_are_refused()
    {
        var guangdong = ProvinceProfile.For("44");
        Assert.Equal("广东省", guangdong.Name);
        Assert.StartsWith("44", guangdong.Capital.Code);
        Assert.Throws<ArgumentException>(() => ProvinceProfile.For("5"));
        Assert.Throws<ArgumentException>(() => ProvinceProfile.For("ab"));
    }
}
