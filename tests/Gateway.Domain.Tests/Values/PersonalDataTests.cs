using CsCheck;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Values;

public sealed class PersonalDataTests
{
    [Theory]
    [InlineData(PersonalDataKind.IdentityNumber, "150102199003071234", "1501**********1234")]
    [InlineData(PersonalDataKind.IdentityNumber, "1234567", "*******")]
    [InlineData(PersonalDataKind.Name, "张三丰", "张**")]
    [InlineData(PersonalDataKind.Name, "王", "*")]
    [InlineData(PersonalDataKind.Name, "𠀋小明", "𠀋**")]
    [InlineData(PersonalDataKind.Phone, "13912345678", "139****5678")]
    [InlineData(PersonalDataKind.Phone, "110", "***")]
    [InlineData(PersonalDataKind.Address, "内蒙古自治区呼和浩特市新城区", "内蒙古自治区***")]
    [InlineData(PersonalDataKind.BankAccount, "6222020200112233445", "****3445")]
    [InlineData(PersonalDataKind.Name, "", "")]
    public void Each_kind_keeps_only_what_tells_two_people_apart(PersonalDataKind kind, string value, string masked) =>
        Assert.Equal(masked, PersonalData.Mask(kind, value));

    [Fact]
    public void A_masked_identity_number_never_holds_the_middle_digits_that_make_it_usable()
    {
        // Region (4) + birth date (8) + sequence and check (6): the birth date and sequence never survive.
        Gen.String[Gen.Char['0', '9'], 18, 18].Sample(id =>
        {
            var masked = PersonalData.Mask(PersonalDataKind.IdentityNumber, id);
            Assert.Equal(18, masked.Length);
            Assert.Equal(id[..4], masked[..4]);
            Assert.Equal(id[^4..], masked[^4..]);
            Assert.Equal(new string('*', 10), masked[4..14]);
        }, iter: 500);
    }

    [Fact]
    public void Identity_numbers_mask_the_same_way_through_the_value_type() =>
        Assert.Equal(PersonalData.Mask(PersonalDataKind.IdentityNumber, "150102199003071234"),
            new IdentityNumber(CertificateDocumentType.ResidentIdentityCard, "150102199003071234").ToMaskedString());
}
