using Gateway.Contracts.Transfer.V1;

namespace Gateway.ProvinceSimulator;

/// <summary>Enrolment status in the province's own records (正常 / 中止 / 终止参保).</summary>
public enum EnrolmentState
{
    Active,
    Suspended,
    Terminated,
}

/// <summary>One enrolment period at one pooling region; months are the first day of the month.</summary>
public sealed record SyntheticPeriod(
    DateOnly FromMonth,
    DateOnly ToMonth,
    InsuranceType InsuranceType,
    int PaidMonths,
    string AgencyName,
    string AgencyAdmdvs,
    string Remarks = "")
{
    public EnrolmentPeriod ToProto() => new()
    {
        From = FromMonth.ToString("yyyy-MM"),
        To = ToMonth.ToString("yyyy-MM"),
        Insutype = InsuranceType,
        PaidMonths = PaidMonths,
        AgencyName = AgencyName,
        AgencyAdmdvs = AgencyAdmdvs,
        Remarks = Remarks,
    };
}

/// <summary>A person as the province system knows them. Immutable: the registry swaps whole records.</summary>
public sealed record SyntheticPerson(
    string Name,
    string IdentityNumber,
    Gender Sex,
    DateOnly BirthDate,
    string Phone,
    HouseholdType HouseholdType,
    string HouseholdAddress,
    string Postcode,
    string PoolingRegion,
    InsuranceType InsuranceType,
    EnrolmentState Status,
    IReadOnlyList<SyntheticPeriod> Periods,
    long BalanceFen)
{
    /// <summary>Set when the origin closed the record after a completed transfer.</summary>
    public string? ClosedByTransfer { get; init; }

    public int PaidMonths => Periods.Sum(p => p.PaidMonths);

    public Person ToProto() => new()
    {
        PsnName = Name,
        PsnCertType = "01",
        Certno = IdentityNumber,
        Gend = Sex,
        Brdy = BirthDate.ToString("yyyy-MM-dd"),
        Phone = Phone,
        HouseholdType = HouseholdType,
        HouseholdAddress = HouseholdAddress,
        ContactAddress = HouseholdAddress,
        Postcode = Postcode,
    };
}
