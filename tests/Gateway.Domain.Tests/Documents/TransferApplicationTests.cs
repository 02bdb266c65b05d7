using Gateway.Domain.Documents;
using Gateway.Domain.Tests.Values;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Documents;

public class TransferApplicationTests
{
    private static IReadOnlyList<Breaker<TransferApplication>> AllBreakers()
    {
        Breaker<TransferApplication> A(string field, Func<Applicant, Applicant> f) =>
            new($"applicant.{field}", a => a with { Applicant = f(a.Applicant!) });
        return
        [
            new("number", a => a with { Number = new DocumentNumber("x") }),
            new("submitted_on", a => a with { SubmittedOn = default }),
            .. Breakers.Person<TransferApplication>(a => a.Person, (a, p) => a with { Person = p }, "submitted_on"),
            new("insutype", a => a with { InsuranceType = (InsuranceType)0 }),
            .. Breakers.Agency<TransferApplication>("origin_agency", a => a.OriginAgency, (a, o) => a with { OriginAgency = o }),
            A("name", x => x with { Name = "" }),
            A("certno", x => x with { Identity = x.Identity with { Value = Breakers.Flip(x.Identity.Value, 3) } }),
            A("relation", x => x with { Relation = "" }),
            A("phone", x => x with { Phone = "" }),
            A("address", x => x with { Address = "" }),
            A("postcode", x => x with { Postcode = "1" }),
        ];
    }

    [Fact]
    public void Every_bad_field_is_reported_by_its_path_and_only_those()
    {
        Breakers.AssertExactPaths(Samples.Application, a => a.Validate(), AllBreakers(), seed: 10);
    }

    [Fact]
    public void Form_10_person_fields_are_required()
    {
        var bare = Samples.Person with { Gender = null, Phone = null, HouseholdType = null, HouseholdAddress = null, ContactAddress = null, Postcode = null };
        var paths = (Samples.Application with { Person = bare }).Validate().Select(v => v.Field).Order();
        Assert.Equal(["person.contact_address", "person.gend", "person.household_address", "person.household_type", "person.phone", "person.postcode"], paths);
    }

    [Fact]
    public void Person_applying_themselves_leaves_the_applicant_out()
    {
        Assert.Empty((Samples.Application with { Applicant = null }).Validate());

        var self = Samples.Application.Applicant! with { Identity = Samples.Person.Identity };
        Assert.Equal(["applicant.certno"], (Samples.Application with { Applicant = self }).Validate().Select(v => v.Field));
    }

    [Fact]
    public void Age_printed_on_the_form_is_taken_on_the_application_date()
    {
        Assert.Equal(37, Samples.Application.PersonAge);
        Assert.Equal(36, (Samples.Application with { SubmittedOn = new DateOnly(2025, 6, 14) }).PersonAge);
    }

    [Fact]
    public void Foreign_passport_holder_is_accepted_without_a_checksum()
    {
        var foreigner = Samples.Person with
        {
            Identity = new IdentityNumber(CertificateDocumentType.ForeignPassport, "P1234567"),
            HouseholdType = HouseholdType.Foreign,
        };
        Assert.Empty((Samples.Application with { Person = foreigner }).Validate());
        Assert.Equal(37, foreigner.AgeOn(new DateOnly(2026, 3, 20))); // from the stated birth date
    }

    [Fact]
    public void A_future_birth_date_on_the_identity_number_is_refused()
    {
        var number = ReferenceIdentity.Make("510603", new DateOnly(2026, 3, 21), 1);
        var unborn = Samples.Person with { Identity = new IdentityNumber(CertificateDocumentType.ResidentIdentityCard, number), BirthDate = null };
        Assert.Equal(["person.certno"], (Samples.Application with { Person = unborn }).Validate().Select(v => v.Field));
    }
}
