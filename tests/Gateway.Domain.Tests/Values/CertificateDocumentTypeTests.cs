using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Values;

public class CertificateDocumentTypeTests
{
    [Theory]
    [InlineData(CertificateDocumentType.ResidentIdentityCard, "01")]
    [InlineData(CertificateDocumentType.HongKongTravelPermit, "04")]
    [InlineData(CertificateDocumentType.MacaoTravelPermit, "05")]
    [InlineData(CertificateDocumentType.TaiwanTravelPermit, "06")]
    [InlineData(CertificateDocumentType.ForeignPermanentResidentCard, "07")]
    [InlineData(CertificateDocumentType.ForeignPassport, "08")]
    [InlineData(CertificateDocumentType.ChinesePassport, "16")]
    [InlineData(CertificateDocumentType.HkMacaoTaiwanResidencePermit, "17")]
    [InlineData(CertificateDocumentType.Other, "99")]
    public void National_psn_cert_type_codes_round_trip(CertificateDocumentType type, string code)
    {
        Assert.Equal(code, type.ToNationalCode());
        Assert.True(CertificateDocumentTypes.TryFromNationalCode(code, out var decoded));
        Assert.Equal(type, decoded);
        Assert.Equal(int.Parse(code), (int)type); // the enum value is the national code where one is known
    }

    [Fact]
    public void Residence_permit_has_no_national_code_and_travels_as_other()
    {
        Assert.Equal("99", CertificateDocumentType.ResidencePermit.ToNationalCode());
        Assert.True(CertificateDocumentTypes.TryFromNationalCode("99", out var decoded));
        Assert.Equal(CertificateDocumentType.Other, decoded);
    }

    [Fact]
    public void Single_digit_codes_are_read_as_two_digit_codes_and_unknown_codes_are_refused()
    {
        Assert.True(CertificateDocumentTypes.TryFromNationalCode("1", out var type));
        Assert.Equal(CertificateDocumentType.ResidentIdentityCard, type);
        Assert.False(CertificateDocumentTypes.TryFromNationalCode("42", out _));
        Assert.False(CertificateDocumentTypes.TryFromNationalCode(null, out _));
    }

    [Fact]
    public void Every_enum_member_has_exactly_one_table_row()
    {
        var rows = CertificateDocumentTypes.Table.Select(r => r.Type).ToList();
        Assert.Equal(Enum.GetValues<CertificateDocumentType>().Order(), rows.Order());
        Assert.Equal(rows.Count, rows.Distinct().Count());
    }
}
