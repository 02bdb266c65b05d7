using Gateway.Domain.Values;

namespace Gateway.Domain.Documents;

/// <summary>Optional person fields a form requires (name and identity number are always required).</summary>
[Flags]
public enum PersonFields
{
    None = 0,
    Gender = 1,
    Phone = 2,
    HouseholdType = 4,
    HouseholdAddress = 8,
    ContactAddress = 16,
    Postcode = 32,
}

/// <summary>
/// The insured person as the forms show them. Paths under the document's "person": psn_name, psn_cert_type, certno, gend,
/// brdy, phone, household_type, household_address (户籍地址 / 户籍所在地), contact_address, postcode.
/// </summary>
public sealed record Person(
    string Name,
    IdentityNumber Identity,
    Gender? Gender = null,
    DateOnly? BirthDate = null,
    string? Phone = null,
    HouseholdType? HouseholdType = null,
    string? HouseholdAddress = null,
    string? ContactAddress = null,
    string? Postcode = null)
{
    /// <summary>Birth date from the identity number when it carries one, else the stated one.</summary>
    public DateOnly? EffectiveBirthDate => Identity.BirthDate ?? BirthDate;

    /// <summary>Sex from the identity number when it carries one, else the stated one.</summary>
    public Gender? EffectiveGender => Identity.Gender ?? Gender;

    /// <summary>Age in whole years on <paramref name="on"/> (the forms print it), when a birth date is known.</summary>
    public int? AgeOn(DateOnly on)
    {
        if (EffectiveBirthDate is not { } birth) return null;
        var age = on.Year - birth.Year;
        if (on < birth.AddYears(age)) age--;
        return age;
    }

    /// <summary>Validates with paths under "person"; <paramref name="asOf"/> is the document date (no clock is read).</summary>
    public IReadOnlyList<FieldViolation> Validate(PersonFields required, DateOnly? asOf = null)
    {
        var v = new ViolationList();
        Validate(v, "person", required, asOf);
        return v.ToList();
    }

    internal void Validate(ViolationList v, string prefix, PersonFields required, DateOnly? asOf)
    {
        v.Text($"{prefix}.psn_name", Name, required: true, TextRules.MaxNameLength);

        var typeKnown = v.Check($"{prefix}.psn_cert_type",
            CertificateDocumentTypes.IsDefined(Identity.DocumentType) ? null : $"unknown document type {(int)Identity.DocumentType}");
        // With an unknown type only presence can be checked, and nothing can be derived from the number.
        bool identityOk;
        if (typeKnown) identityOk = v.Check($"{prefix}.certno", Identity.Check(asOf));
        else
        {
            v.Text($"{prefix}.certno", Identity.Value, required: true);
            identityOk = false;
        }

        var derivedGender = identityOk ? Identity.Gender : null;
        var gendField = $"{prefix}.gend";
        if (Gender is null) v.Check(gendField, required.HasFlag(PersonFields.Gender) ? "required" : null);
        else if (!Enum.IsDefined(Gender.Value)) v.Add(gendField, $"unknown gend code {(int)Gender.Value}");
        else if (derivedGender is { } g && Gender != Values.Gender.NotStated && Gender != g)
            v.Add(gendField, "does not match the sex carried by the identity number");

        if (BirthDate is { } birth)
        {
            var brdyField = $"{prefix}.brdy";
            if (asOf is { } day && birth > day) v.Add(brdyField, $"after the document date {day:yyyy-MM-dd}");
            else if (identityOk && Identity.BirthDate is { } derived && derived != birth)
                v.Add(brdyField, "does not match the birth date carried by the identity number");
        }

        v.Phone($"{prefix}.phone", Phone, required.HasFlag(PersonFields.Phone));
        v.Defined($"{prefix}.household_type", HouseholdType, required.HasFlag(PersonFields.HouseholdType));
        v.Text($"{prefix}.household_address", HouseholdAddress, required.HasFlag(PersonFields.HouseholdAddress));
        v.Text($"{prefix}.contact_address", ContactAddress, required.HasFlag(PersonFields.ContactAddress));
        v.Postcode($"{prefix}.postcode", Postcode, required.HasFlag(PersonFields.Postcode));
    }
}
