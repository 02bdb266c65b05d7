using Gateway.Domain.Records;
using Gateway.Domain.Tests.Values;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Records;

public class IndexProvinceTests
{
    private static readonly IndexProvince ThreeProvinces = new([new ProvinceCode("64"), new ProvinceCode("15"), new ProvinceCode("51")]);

    private static IdentityNumber Citizen(string region, int sequence = 11) =>
        IdentityNumber.Parse(ReferenceIdentity.Make(region, new DateOnly(1990, 1, 1), sequence));

    [Theory]
    [InlineData("150102", "15")]
    [InlineData("510603", "51")]
    [InlineData("640104", "64")]
    public void A_resident_identity_number_is_indexed_in_the_province_of_its_first_two_digits(string region, string expected)
    {
        Assert.Equal(expected, ThreeProvinces.For(Citizen(region)).Value);
        Assert.Equal(expected, IndexProvince.National.For(Citizen(region)).Value);
    }

    [Fact]
    public void A_prefix_outside_the_exchange_goes_by_the_hash_of_the_person_key()
    {
        var person = Citizen("440305");
        var index = ThreeProvinces.For(person);
        Assert.Equal(ThreeProvinces.ByHash(PersonKey.Of(person)), index);
        Assert.Contains(index, ThreeProvinces.Exchange);
        Assert.Equal("44", IndexProvince.National.For(person).Value); // in the national exchange, 44 is a member
    }

    [Fact]
    public void Other_document_types_go_by_the_hash_even_when_they_look_like_a_citizen_number()
    {
        var permit = IdentityNumber.Parse(CertificateDocumentType.HkMacaoTaiwanResidencePermit, ReferenceIdentity.Make("810000", new DateOnly(1990, 1, 1), 11));
        Assert.Equal(IndexProvince.National.ByHash(PersonKey.Of(permit)), IndexProvince.National.For(permit));
        var passport = IdentityNumber.Parse(CertificateDocumentType.ForeignPassport, "E12345678");
        Assert.Equal(ThreeProvinces.ByHash(PersonKey.Of(passport)), ThreeProvinces.For(passport));
    }

    [Fact]
    public void The_hash_is_stable_whatever_order_the_exchange_is_listed_in_and_spreads_over_every_member()
    {
        var shuffled = new IndexProvince([new ProvinceCode("51"), new ProvinceCode("64"), new ProvinceCode("15"), new ProvinceCode("51")]);
        Assert.Equal(["15", "51", "64"], shuffled.Exchange.Select(p => p.Value));
        var seen = new Dictionary<string, int>();
        for (var i = 0; i < 3000; i++)
        {
            var passport = new IdentityNumber(CertificateDocumentType.ForeignPassport, $"P{i:000000}");
            var a = ThreeProvinces.For(passport);
            Assert.Equal(a, shuffled.For(passport));
            seen[a.Value] = seen.GetValueOrDefault(a.Value) + 1;
        }
        Assert.Equal(3, seen.Count);
        Assert.All(seen.Values, n => Assert.InRange(n, 800, 1200)); // about a third each
    }

    [Fact]
    public void The_national_exchange_has_all_32_province_level_codes_and_an_unknown_code_is_refused()
    {
        Assert.Equal(32, IndexProvince.National.Exchange.Count);
        Assert.Throws<ArgumentException>(() => new IndexProvince([new ProvinceCode("99")]));
        Assert.Throws<ArgumentException>(() => new IndexProvince([]));
    }
}
