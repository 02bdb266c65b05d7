using Gateway.Domain.Values;

namespace Gateway.Domain.Documents;

/// <summary>Agency fields a form requires beyond the name (always required).</summary>
[Flags]
public enum AgencyFields
{
    None = 0,
    Division = 1,
    Address = 2,
    Postcode = 4,
    Contact = 8,
    Phone = 16,
    All = Division | Address | Postcode | Contact | Phone,
}

/// <summary>
/// A medical-insurance agency (经办机构): identified by its division code plus name. Paths under the document's agency field:
/// name, admdvs, address, postcode, contact, phone. Fields not required by a form are still checked when present.
/// </summary>
public sealed record Agency(
    string Name,
    DivisionCode Division,
    string? Address = null,
    string? Postcode = null,
    string? Contact = null,
    string? Phone = null)
{
    internal void Validate(ViolationList v, string prefix, AgencyFields required)
    {
        v.Text($"{prefix}.name", Name, required: true);
        var hasDivision = !string.IsNullOrEmpty(Division.Value);
        if (hasDivision || required.HasFlag(AgencyFields.Division)) v.Check($"{prefix}.admdvs", Division.Check());
        v.Text($"{prefix}.address", Address, required.HasFlag(AgencyFields.Address));
        v.Postcode($"{prefix}.postcode", Postcode, required.HasFlag(AgencyFields.Postcode));
        v.Text($"{prefix}.contact", Contact, required.HasFlag(AgencyFields.Contact), TextRules.MaxNameLength);
        v.Phone($"{prefix}.phone", Phone, required.HasFlag(AgencyFields.Phone));
    }
}
