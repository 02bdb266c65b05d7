using Gateway.Domain.Values;

namespace Gateway.Domain.Documents;

/// <summary>
/// Enrolment certificate (参保凭证, seed 004 附表9), issued by the origin agency. Paths: number, issued_on, person.*, insutype,
/// insuplc_admdvs (origin pooling region), enrolled_from, enrolled_to, paid_months, account_balance_fen, issuing_agency.*.
/// </summary>
public sealed record Certificate(
    DocumentNumber Number,
    DateOnly IssuedOn,
    Person Person,
    InsuranceType InsuranceType,
    DivisionCode OriginRegion,
    YearMonth EnrolledFrom,
    YearMonth EnrolledTo,
    int PaidMonths,
    Money AccountBalance,
    Agency IssuingAgency)
{
    /// <summary>The certificate supports an application for this many calendar months after its date (附表9 注意事项 3).</summary>
    public const int ValidityMonths = 3;

    public const PersonFields RequiredPersonFields = PersonFields.HouseholdType | PersonFields.HouseholdAddress;

    public string AccountBalanceInCapitals => AccountBalance.ToChineseCapitals();

    /// <summary>Last day an application may use it: same day of month three months on (clamped to month end), inclusive.</summary>
    public DateOnly ValidThrough => ValidThroughFor(IssuedOn);

    /// <summary>Last day a certificate dated <paramref name="issuedOn"/> supports an application (calendar months, not working days).</summary>
    public static DateOnly ValidThroughFor(DateOnly issuedOn) => issuedOn.AddMonths(ValidityMonths);

    public bool IsValidForApplicationOn(DateOnly day) => day >= IssuedOn && day <= ValidThrough;

    public IReadOnlyList<FieldViolation> Validate()
    {
        var v = new ViolationList();
        var dateOk = v.Date("issued_on", IssuedOn);
        var originOk = v.Check("insuplc_admdvs", OriginRegion.Check());

        if (v.Check("number", Number.Check()))
        {
            if (originOk && Number.PoolingRegion != OriginRegion) v.Add("number", "pooling region in the number differs from insuplc_admdvs");
            else if (dateOk && Number.Year != IssuedOn.Year) v.Add("number", "year in the number differs from issued_on");
        }

        Person.Validate(v, "person", RequiredPersonFields, dateOk ? IssuedOn : null);
        v.Defined("insutype", (InsuranceType?)InsuranceType, required: true);

        var fromOk = v.Month("enrolled_from", EnrolledFrom);
        if (EnrolledTo == default) v.Add("enrolled_to", "required");
        else if (fromOk && EnrolledTo < EnrolledFrom) v.Add("enrolled_to", "before enrolled_from");
        else if (dateOk && EnrolledTo > YearMonth.FromDate(IssuedOn)) v.Add("enrolled_to", "after the month of issued_on");

        if (PaidMonths < 0) v.Add("paid_months", "must not be negative");
        else if (fromOk && EnrolledTo >= EnrolledFrom && PaidMonths > EnrolledFrom.MonthsThrough(EnrolledTo))
            v.Add("paid_months", $"more than the {EnrolledFrom.MonthsThrough(EnrolledTo)} months of the enrolment period");

        if (AccountBalance.IsNegative) v.Add("account_balance_fen", "must not be negative");

        IssuingAgency.Validate(v, "issuing_agency", AgencyFields.All);
        if (originOk && !v.Has("issuing_agency.admdvs") && IssuingAgency.Division.Province != OriginRegion.Province)
            v.Add("issuing_agency.admdvs", "not in the origin province");

        return v.ToList();
    }
}
