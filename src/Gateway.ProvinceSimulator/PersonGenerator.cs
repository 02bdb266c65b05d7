using Gateway.Contracts.Transfer.V1;

namespace Gateway.ProvinceSimulator;

/// <summary>Deterministic synthetic people: the same seed always yields the same registry.</summary>
internal sealed class PersonGenerator(ProvinceProfile profile, int seed, DateOnly asOfMonth)
{
    private static readonly string[] Surnames =
        ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"];
    private static readonly string[] MaleGiven =
        ["伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "志强", "建华", "晓东", "文博", "海涛", "俊杰"];
    private static readonly string[] FemaleGiven =
        ["芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀英", "桂英", "海燕", "玉兰", "晓燕", "雪梅", "丽娟", "思雨"];
    private static readonly string[] Streets = ["人民路", "解放路", "建设路", "新华街", "中山路", "和平路", "文化路", "光明街"];
    private static readonly string[] MobilePrefixes = ["133", "135", "138", "139", "150", "158", "177", "186", "189"];

    private readonly Random _rng = new(seed);
    private readonly DateOnly _asOf = new(asOfMonth.Year, asOfMonth.Month, 1);

    public SyntheticPerson Next(Func<string, bool> isTaken)
    {
        var male = _rng.Next(2) == 0;
        var birth = new DateOnly(1960, 1, 1).AddDays(_rng.Next(0, 44 * 365));
        var home = profile.Districts[_rng.Next(profile.Districts.Count)];
        string certno;
        do
        {
            var sequence = _rng.Next(0, 500) * 2 + (male ? 1 : 0);
            certno = IdentityNumbers.Compose(home.IdentityRegion, birth, sequence);
        } while (isTaken(certno));

        var name = Pick(Surnames) + (male ? Pick(MaleGiven) : Pick(FemaleGiven));
        var insurance = _rng.Next(10) < 7 ? InsuranceType.Employee : InsuranceType.Resident;
        var status = _rng.Next(10) switch { < 6 => EnrolmentState.Active, < 9 => EnrolmentState.Suspended, _ => EnrolmentState.Terminated };
        var periods = Periods(birth, insurance, status);
        // Resident insurance has no personal account; employees carry up to 50,000 yuan.
        var balance = insurance == InsuranceType.Employee ? _rng.NextInt64(0, 5_000_000) : 0L;

        return new SyntheticPerson(
            Name: name,
            IdentityNumber: certno,
            Sex: male ? Gender.Male : Gender.Female,
            BirthDate: birth,
            Phone: Pick(MobilePrefixes) + _rng.Next(0, 100_000_000).ToString("00000000"),
            HouseholdType: _rng.Next(10) switch { < 4 => HouseholdType.NonAgricultural, < 7 => HouseholdType.Agricultural, _ => HouseholdType.Resident },
            HouseholdAddress: $"{profile.Name}{home.CityName}{home.Name}{Pick(Streets)}{_rng.Next(1, 300)}号",
            Postcode: home.Postcode,
            PoolingRegion: home.PoolingRegion,
            InsuranceType: insurance,
            Status: status,
            Periods: periods,
            BalanceFen: balance);
    }

    /// <summary>One to three consecutive periods at pooling regions of this province, ending at the as-of month unless enrolment stopped.</summary>
    private List<SyntheticPeriod> Periods(DateOnly birth, InsuranceType insurance, EnrolmentState status)
    {
        var start = new DateOnly(Math.Max(birth.Year + 22, 2000), 1, 1).AddMonths(_rng.Next(12));
        var end = status == EnrolmentState.Active ? _asOf : _asOf.AddMonths(-_rng.Next(1, 7));
        if (start > end.AddMonths(-6)) start = end.AddMonths(-6);

        var count = _rng.Next(1, 4);
        var periods = new List<SyntheticPeriod>(count);
        var from = start;
        for (var i = 0; i < count && from <= end; i++)
        {
            var remaining = MonthsBetween(from, end) + 1;
            var length = i == count - 1 ? remaining : Math.Max(1, _rng.Next(1, Math.Max(2, remaining * 2 / 3)));
            var to = from.AddMonths(length - 1);
            var region = profile.Districts[_rng.Next(profile.Districts.Count)];
            // Some periods have a few unpaid months.
            var paid = Math.Max(1, length - (_rng.Next(4) == 0 ? _rng.Next(1, 3) : 0));
            periods.Add(new SyntheticPeriod(from, to, insurance, paid, AgencyNames.PoolingRegion(region), region.PoolingRegion));
            from = to.AddMonths(1);
        }
        return periods;
    }

    private static int MonthsBetween(DateOnly a, DateOnly b) => (b.Year - a.Year) * 12 + b.Month - a.Month;

    private T Pick<T>(T[] items) => items[_rng.Next(items.Length)];
}

internal static class AgencyNames
{
    public static string PoolingRegion(District d) => d.CityName + "医疗保障事务中心";
}
