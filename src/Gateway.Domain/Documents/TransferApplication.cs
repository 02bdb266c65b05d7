using Gateway.Domain.Values;

namespace Gateway.Domain.Documents;

/// <summary>
/// Transfer application (转移接续申请表, seed 004 附表10), filed at the destination. Paths: number, submitted_on, person.*, insutype,
/// origin_agency.*, applicant.* (only when someone applies for the person).
/// </summary>
public sealed record TransferApplication(
    DocumentNumber Number,
    DateOnly SubmittedOn,
    Person Person,
    InsuranceType InsuranceType,
    Agency OriginAgency,
    Applicant? Applicant = null)
{
    public const PersonFields RequiredPersonFields = PersonFields.Gender | PersonFields.Phone | PersonFields.HouseholdType
        | PersonFields.HouseholdAddress | PersonFields.ContactAddress | PersonFields.Postcode;

    public const AgencyFields RequiredOriginAgencyFields = AgencyFields.Division | AgencyFields.Phone | AgencyFields.Address | AgencyFields.Postcode;

    /// <summary>The age the form prints.</summary>
    public int? PersonAge => Person.AgeOn(SubmittedOn);

    public IReadOnlyList<FieldViolation> Validate()
    {
        var v = new ViolationList();
        var dateOk = v.Date("submitted_on", SubmittedOn);
        if (v.Check("number", Number.Check()) && dateOk && Number.Year != SubmittedOn.Year)
            v.Add("number", "year in the number differs from submitted_on");

        Person.Validate(v, "person", RequiredPersonFields, dateOk ? SubmittedOn : null);
        v.Defined("insutype", (InsuranceType?)InsuranceType, required: true);
        OriginAgency.Validate(v, "origin_agency", RequiredOriginAgencyFields);
        Applicant?.Validate(v, "applicant", Person, dateOk ? SubmittedOn : null);
        return v.ToList();
    }
}

/// <summary>Someone applying on the person's behalf (申请人信息). Paths: name, certno, relation, phone, address, postcode.</summary>
public sealed record Applicant(string Name, IdentityNumber Identity, string Relation, string Phone, string Address, string? Postcode = null)
{
    internal void Validate(ViolationList v, string prefix, Person person, DateOnly? asOf)
    {
        v.Text($"{prefix}.name", Name, required: true, TextRules.MaxNameLength);
        if (v.Check($"{prefix}.certno", Identity.Check(asOf)) && Identity.Value == person.Identity.Value)
            v.Add($"{prefix}.certno", "is the insured person; leave the applicant out when the person applies");
        v.Text($"{prefix}.relation", Relation, required: true, TextRules.MaxNameLength);
        v.Phone($"{prefix}.phone", Phone, required: true);
        v.Text($"{prefix}.address", Address, required: true);
        v.Postcode($"{prefix}.postcode", Postcode, required: false);
    }
}
