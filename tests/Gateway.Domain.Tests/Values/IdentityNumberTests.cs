using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Values;

public class IdentityNumberTests
{
    private static readonly DateOnly Today = new(2026, 11, 22);

    [Fact]
    public void Standard_example_from_GB_11643_is_valid_with_check_character_X()
    {
        Assert.Equal('X', ReferenceIdentity.CheckCharacter("11010519491231002"));
        Assert.True(IdentityNumber.TryParse("11010519491231002X", out var id, out var error), error);
        Assert.Equal(new DateOnly(1949, 12, 31), id.BirthDate);
        Assert.Equal(Gender.Female, id.Gender);
        Assert.Equal("110105", id.RegionPrefix);
        Assert.Equal(CertificateDocumentType.ResidentIdentityCard, id.DocumentType);
    }

    [Fact]
    public void Lower_case_x_check_character_is_normalised()
    {
        var id = IdentityNumber.Parse("11010519491231002x");
        Assert.Equal("11010519491231002X", id.Value);
    }

    [Fact]
    public void Odd_seventeenth_digit_is_male_even_is_female()
    {
        var birth = new DateOnly(1990, 5, 17);
        Assert.Equal(Gender.Male, IdentityNumber.Parse(ReferenceIdentity.Make("510603", birth, 123)).Gender);
        Assert.Equal(Gender.Female, IdentityNumber.Parse(ReferenceIdentity.Make("510603", birth, 124)).Gender);
    }

    [Fact]
    public void Generated_valid_numbers_all_parse_and_carry_their_birth_date_and_sex()
    {
        var rng = new Random(11643);
        for (var i = 0; i < 5000; i++)
        {
            var (number, birth, male) = ReferenceIdentity.Random(rng, Today);
            Assert.True(IdentityNumber.TryParse(number, Today, out var id, out var error), $"{number}: {error}");
            Assert.Equal(birth, id.BirthDate);
            Assert.Equal(male ? Gender.Male : Gender.Female, id.Gender);
            Assert.Equal(ReferenceIdentity.CheckCharacter(number[..17]), IdentityNumber.ComputeCheckCharacter(number.AsSpan(0, 17)));
        }
    }

    [Fact]
    public void Any_single_character_change_to_a_valid_number_is_refused()
    {
        var rng = new Random(7064);
        const string alphabet = "0123456789X";
        var checkedChanges = 0;
        for (var i = 0; i < 300; i++)
        {
            var (number, _, _) = ReferenceIdentity.Random(rng, Today);
            for (var pos = 0; pos < number.Length; pos++)
            {
                foreach (var c in alphabet)
                {
                    if (c == number[pos]) continue;
                    var changed = number[..pos] + c + number[(pos + 1)..];
                    Assert.False(IdentityNumber.TryParse(changed, Today, out _, out var error), $"{number} → {changed} was accepted");
                    Assert.NotNull(error);
                    checkedChanges++;
                }
            }
        }
        Assert.Equal(300 * 18 * 10, checkedChanges);
    }

    [Theory]
    [InlineData("", "required")]
    [InlineData("11010519491231002", "18 characters")]
    [InlineData("1101051949123100X2", "first 17")]
    [InlineData("11010519491231002Y", "check character")]
    [InlineData("990105194912310026", "region prefix")]
    [InlineData("660105194912310026", "region prefix")]
    public void Malformed_numbers_are_refused_with_the_reason(string text, string reasonFragment)
    {
        Assert.False(IdentityNumber.TryParse(text, out _, out var error));
        Assert.Contains(reasonFragment, error);
        Assert.Throws<FormatException>(() => IdentityNumber.Parse(text));
    }

    [Fact]
    public void Impossible_birth_date_is_refused_even_with_a_matching_check_character()
    {
        var body = "51060319900230123"; // 30 February
        var number = body + ReferenceIdentity.CheckCharacter(body);
        Assert.False(IdentityNumber.TryParse(number, out _, out var error));
        Assert.Contains("real date", error);
    }

    [Fact]
    public void Birth_date_after_the_supplied_date_is_refused_and_on_it_is_accepted()
    {
        var number = ReferenceIdentity.Make("510603", Today, 1);
        Assert.True(IdentityNumber.TryParse(number, Today, out _, out _));
        Assert.False(IdentityNumber.TryParse(number, Today.AddDays(-1), out _, out var error));
        Assert.Contains("after", error);
    }

    [Fact]
    public void Age_is_whole_years_counted_from_the_birthday()
    {
        var id = IdentityNumber.Parse(ReferenceIdentity.Make("510603", new DateOnly(2000, 2, 29), 11));
        Assert.Equal(25, id.AgeOn(new DateOnly(2026, 2, 27)));
        Assert.Equal(26, id.AgeOn(new DateOnly(2026, 3, 1)));
    }

    [Fact]
    public void Masked_form_hides_the_birth_date_and_sequence()
    {
        Assert.Equal("1101**********002X", IdentityNumber.Parse("11010519491231002X").ToMaskedString());
    }

    [Theory]
    [InlineData(CertificateDocumentType.ChinesePassport, "E12345678")]
    [InlineData(CertificateDocumentType.ForeignPassport, "P1234567")]
    [InlineData(CertificateDocumentType.HongKongTravelPermit, "H12345678")]
    [InlineData(CertificateDocumentType.MacaoTravelPermit, "M12345678")]
    [InlineData(CertificateDocumentType.TaiwanTravelPermit, "12345678")]
    [InlineData(CertificateDocumentType.ForeignPermanentResidentCard, "USA110079061602")]
    [InlineData(CertificateDocumentType.ResidencePermit, "510603199001011234")]
    [InlineData(CertificateDocumentType.Other, "A-1(2)")]
    public void Other_document_types_are_accepted_on_their_type_without_a_checksum(CertificateDocumentType type, string number)
    {
        Assert.True(IdentityNumber.TryParse(type, number, Today, out var id, out var error), error);
        Assert.Equal(type, id.DocumentType);
        Assert.Null(id.BirthDate);
        Assert.False(id.IsChecksummed);
    }

    [Theory]
    [InlineData("E1234 5678")]
    [InlineData("护照123")]
    [InlineData("")]
    public void Other_document_numbers_must_have_a_plain_shape(string number)
    {
        Assert.False(IdentityNumber.TryParse(CertificateDocumentType.ChinesePassport, number, null, out _, out _));
    }

    [Fact]
    public void Hong_Kong_Macao_Taiwan_residence_permit_is_checksummed_with_its_own_prefixes()
    {
        var permit = ReferenceIdentity.Make("810000", new DateOnly(1985, 3, 4), 5);
        Assert.True(IdentityNumber.TryParse(CertificateDocumentType.HkMacaoTaiwanResidencePermit, permit, Today, out var id, out var error), error);
        Assert.Equal(Gender.Male, id.Gender);

        var citizenNumber = ReferenceIdentity.Make("510603", new DateOnly(1985, 3, 4), 5);
        Assert.False(IdentityNumber.TryParse(CertificateDocumentType.HkMacaoTaiwanResidencePermit, citizenNumber, Today, out _, out _));
        Assert.False(IdentityNumber.TryParse(permit[..17] + (permit[17] == '0' ? '1' : '0'), out _, out _));
    }

    [Fact]
    public void Unchecked_default_value_reports_required()
    {
        Assert.Equal("required", new IdentityNumber(CertificateDocumentType.ResidentIdentityCard, null!).Check());
        Assert.Contains("unknown document type", new IdentityNumber((CertificateDocumentType)42, "X1").Check());
    }
}
