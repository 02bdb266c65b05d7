using System.Globalization;

namespace Gateway.ProvinceSimulator.Tests;

public sealed class IdentityNumberTests
{
    // ISO 7064 MOD 11-2 computed from its definition (weights are 2^(17-i) mod 11; the check
    // character makes the weighted sum ≡ 1 mod 11), not from the simulator's lookup tables.
    private static char IndependentCheckChar(string first17)
    {
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            var weight = 1;
            for (var k = 0; k < 17 - i; k++) weight = weight * 2 % 11;
            sum += (first17[i] - '0') * weight;
        }
        var check = (12 - sum % 11) % 11;
        return check == 10 ? 'X' : (char)('0' + check);
    }

    [Fact]
    public void The_standard_GB11643_example_number_is_valid()
    {
        Assert.True(IdentityNumbers.IsValid("11010519491231002X"));
        Assert.Equal('X', IndependentCheckChar("11010519491231002"));
    }

    [Fact]
    public void A_number_with_a_wrong_check_char_is_invalid()
    {
        Assert.False(IdentityNumbers.IsValid("110105194912310021"));
        Assert.False(IdentityNumbers.IsValid("11010519491231002"));
        Assert.False(IdentityNumbers.IsValid("1101051949123100AX"));
    }

    [Theory]
    [InlineData("15")]
    [InlineData("51")]
    [InlineData("64")]
    [InlineData("44")]
    public void Generated_identity_numbers_pass_an_independent_MOD_11_2_check(string province)
    {
        var registry = SyntheticRegistry.Create(province, 300, seed: 11);
        Assert.Equal(300, registry.Count);
        foreach (var p in registry.People)
        {
            Assert.Equal(18, p.IdentityNumber.Length);
            Assert.Equal(IndependentCheckChar(p.IdentityNumber[..17]), p.IdentityNumber[17]);
        }
        // Over 300 people every check value shows up, including X.
        Assert.Contains(registry.People, p => p.IdentityNumber.EndsWith('X'));
    }

    [Theory]
    [InlineData("15")]
    [InlineData("51")]
    [InlineData("64")]
    public void Identity_number_carries_a_district_of_the_province_the_birth_date_and_sex_parity(string province)
    {
        var registry = SyntheticRegistry.Create(province, 100, seed: 3);
        Assert.Equal(100, registry.People.Select(p => p.IdentityNumber).Distinct().Count());
        foreach (var p in registry.People)
        {
            Assert.StartsWith(province, p.IdentityNumber);
            Assert.Contains(registry.Profile.Districts, d => d.Code == p.IdentityNumber[..6]);
            Assert.Equal(p.BirthDate, DateOnly.ParseExact(p.IdentityNumber[6..14], "yyyyMMdd", CultureInfo.InvariantCulture));
            var odd = (p.IdentityNumber[16] - '0') % 2 == 1;
            Assert.Equal(odd, p.Sex == Contracts.Transfer.V1.Gender.Male);
        }
        Assert.Contains(registry.People, p => p.Sex == Contracts.Transfer.V1.Gender.Male);
        Assert.Contains(registry.People, p => p.Sex == Contracts.Transfer.V1.Gender.Female);
    }
}
