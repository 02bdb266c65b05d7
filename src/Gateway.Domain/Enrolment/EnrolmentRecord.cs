using Gateway.Domain.Values;

namespace Gateway.Domain.Enrolment;

/// <summary>
/// One enrolment record as a province publishes it: a person in a pooling region under one scheme, with the months for which
/// contributions were actually paid (实缴,费款所属期) from <see cref="From"/> to <see cref="To"/> inclusive.
/// </summary>
public sealed record EnrolmentRecord(
    string RecordId,
    IdentityNumber Person,
    DivisionCode PoolingRegion,
    InsuranceType InsuranceType,
    EnrolmentStatus Status,
    YearMonth From,
    YearMonth To,
    EnrolmentBasis Basis = EnrolmentBasis.Standard)
{
    public ProvinceCode Province => PoolingRegion.Province;

    public bool Covers(YearMonth month) => month >= From && month <= To;

    public bool Overlaps(EnrolmentRecord other) => From <= other.To && other.From <= To;

    public IEnumerable<YearMonth> Months()
    {
        for (var m = From; m <= To; m = m.Next) yield return m;
    }
}
