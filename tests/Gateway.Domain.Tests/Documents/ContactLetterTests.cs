using Gateway.Domain.Documents;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Documents;

public class ContactLetterTests
{
    private static IReadOnlyList<Breaker<ContactLetter>> AllBreakers()
    {
        Breaker<ContactLetter> Acc(string field, Func<BankAccount, BankAccount> f) =>
            new($"destination_account.{field}", l => l with { DestinationAccount = f(l.DestinationAccount!) });
        return
        [
            new("number", l => l with { Number = new DocumentNumber("5151060020260000") }),
            new("issued_on", l => l with { IssuedOn = default }),
            new("origin_agency.name", l => l with { OriginAgency = l.OriginAgency with { Name = "" } }),
            new("origin_agency.admdvs", l => l with { OriginAgency = l.OriginAgency with { Division = new DivisionCode("15010") } }),
            .. Breakers.Person<ContactLetter>(l => l.Person, (l, p) => l with { Person = p }, "issued_on"),
            new("insutype", l => l with { InsuranceType = (InsuranceType)391 }),
            .. Breakers.Agency<ContactLetter>("destination_agency", l => l.DestinationAgency, (l, a) => l with { DestinationAgency = a }),
            Acc("account_name", a => a with { AccountName = "" }),
            Acc("bank_name", a => a with { BankName = " " }),
            Acc("bank_code", a => a with { BankCode = "10265800001" }),
            Acc("account_number", a => a with { AccountNumber = "6222-0000" }),
            new("handler", l => l with { Handler = "" }),
            new("handler_phone", l => l with { HandlerPhone = "n/a" }),
        ];
    }

    [Fact]
    public void Every_bad_field_is_reported_by_its_path_and_only_those()
    {
        Breakers.AssertExactPaths(Samples.Letter, l => l.Validate(), AllBreakers(), seed: 11);
    }

    [Fact]
    public void Destination_account_is_required_when_the_personal_account_moves()
    {
        Assert.Equal(["destination_account"], (Samples.Letter with { DestinationAccount = null }).Validate().Select(v => v.Field));
        Assert.Empty((Samples.Letter with { DestinationAccount = null, AccountMoves = false }).Validate());
    }

    [Fact]
    public void Letter_is_numbered_by_the_destination()
    {
        var numberedByOrigin = Samples.Letter with { Number = DocumentNumber.Create(Samples.Hohhot, 2026, 8) };
        var violation = Assert.Single(numberedByOrigin.Validate());
        Assert.Equal("number", violation.Field);
        Assert.Contains("destination", violation.Description);
    }

    [Fact]
    public void Origin_agency_needs_only_its_name_on_the_letter()
    {
        var nameOnly = Samples.Letter with { OriginAgency = new Agency("呼和浩特市医疗保障事务中心", default) };
        Assert.Empty(nameOnly.Validate());
    }
}
