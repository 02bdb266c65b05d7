using Gateway.Domain.Values;

namespace Gateway.Domain.Enrolment;

/// <summary>
/// One enrolment record as a province publishes it: a person in a pooling region under one scheme, with the months for which
/// contributions were actually paid (实缴,费款所属期) from <see cref="From"/> to <see cref="To"/> inclusive.
/// </summary>
/// <param name="CurrentEmployment">The owner says this is the person's current place of employment (第二十四条(一) keeps it).</param>
/// <param name="StudyPlace">For students: the pooling region of the place of study (学籍地, 第二十四条(三)).</param>
/// <param name="ContinuousEmployeeMonths">
/// The owner's count of continuous employee enrolment up to <see cref="To"/>, from its own books (it may include history
/// no province publishes any more); 0 when not stated. 第二十四条(四) uses the larger of this and what the records show.
/// </param>
public sealed record EnrolmentRecord(
    string RecordId,
    IdentityNumber Person,
    DivisionCode PoolingRegion,
    InsuranceType InsuranceType,
    EnrolmentStatus Status,
    YearMonth From,
    YearMonth To,
    EnrolmentBasis Basis = EnrolmentBasis.Standard,
    bool CurrentEmployment = false,
    DivisionCode? StudyPlace = null,
    int ContinuousEmployeeMonths = 0)
{
    /// <summary>The owner province: the only writer of this record (its pooling region's province).</summary>
    public ProvinceCode Province => PoolingRegion.Province;

    public bool Covers(YearMonth month) => month >= From && month <= To;

    public bool Overlaps(EnrolmentRecord other) => From <= other.To && other.From <= To;

    public IEnumerable<YearMonth> Months()
    {
        for (var m = From; m <= To; m = m.Next) yield return m;
    }
}
