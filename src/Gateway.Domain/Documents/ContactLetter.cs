using Gateway.Domain.Values;

namespace Gateway.Domain.Documents;

/// <summary>
/// Contact letter (联系函, seed 004 附表11), destination → origin. Paths: number, issued_on, origin_agency.*, person.*, account_moves,
/// insutype, destination_agency.*, destination_account (and .account_name, .bank_name, .bank_code, .account_number), handler, handler_phone.
/// The destination numbers the letter, so the number's province is the destination agency's.
/// </summary>
public sealed record ContactLetter(
    DocumentNumber Number,
    DateOnly IssuedOn,
    Agency OriginAgency,
    Person Person,
    bool AccountMoves,
    InsuranceType InsuranceType,
    Agency DestinationAgency,
    BankAccount? DestinationAccount,
    string Handler,
    string HandlerPhone)
{
    public const PersonFields RequiredPersonFields = PersonFields.Gender | PersonFields.Phone | PersonFields.HouseholdType;

    public const AgencyFields RequiredDestinationAgencyFields = AgencyFields.Division | AgencyFields.Address | AgencyFields.Postcode;

    /// <summary>The age the form prints.</summary>
    public int? PersonAge => Person.AgeOn(IssuedOn);

    public IReadOnlyList<FieldViolation> Validate()
    {
        var v = new ViolationList();
        var dateOk = v.Date("issued_on", IssuedOn);
        OriginAgency.Validate(v, "origin_agency", AgencyFields.None);
        Person.Validate(v, "person", RequiredPersonFields, dateOk ? IssuedOn : null);
        v.Defined("insutype", (InsuranceType?)InsuranceType, required: true);
        DestinationAgency.Validate(v, "destination_agency", RequiredDestinationAgencyFields);

        if (v.Check("number", Number.Check()))
        {
            if (!v.Has("destination_agency.admdvs") && Number.Province != DestinationAgency.Division.Province)
                v.Add("number", "not numbered in the destination agency's province");
            else if (dateOk && Number.Year != IssuedOn.Year) v.Add("number", "year in the number differs from issued_on");
        }

        // The account receives the balance: needed only when the personal account moves, checked whenever given.
        if (DestinationAccount is null) v.Check("destination_account", AccountMoves ? "required when the personal account moves" : null);
        else DestinationAccount.Validate(v, "destination_account");

        v.Text("handler", Handler, required: true, TextRules.MaxNameLength);
        v.Phone("handler_phone", HandlerPhone, required: true);
        return v.ToList();
    }
}
