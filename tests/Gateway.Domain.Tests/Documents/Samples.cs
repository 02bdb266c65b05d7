using Gateway.Domain.Documents;
using Gateway.Domain.Tests.Values;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Documents;

/// <summary>Valid documents for one person moving from Hohhot (内蒙古) to Deyang (四川).</summary>
public static class Samples
{
    public static readonly DateOnly Birth = new(1988, 6, 15);
    public static readonly string PersonNumber = ReferenceIdentity.Make("150102", Birth, 37);
    public static readonly DivisionCode Hohhot = DivisionCode.Parse("150100");
    public static readonly DivisionCode Deyang = DivisionCode.Parse("510600");

    public static Person Person => new(
        "张三",
        IdentityNumber.Parse(PersonNumber),
        Gender.Male,
        Birth,
        "13800000000",
        HouseholdType.Agricultural,
        "内蒙古呼和浩特市新城区某街1号",
        "四川省德阳市旌阳区某路2号",
        "618000");

    public static Agency HohhotAgency => new("呼和浩特市医疗保障事务中心", Hohhot, "呼和浩特市新城区某路3号", "010000", "王五", "0471-1234567");
    public static Agency DeyangAgency => new("德阳市医疗保障事务中心", Deyang, "德阳市旌阳区某路4号", "618000", "李四", "0838-1234567");

    public static Certificate Certificate => new(
        DocumentNumber.Create(Hohhot, 2026, 42),
        new DateOnly(2026, 3, 10),
        Person,
        InsuranceType.Employee,
        Hohhot,
        new YearMonth(2015, 1),
        new YearMonth(2026, 2),
        130,
        new Money(1_234_567),
        HohhotAgency);

    public static TransferApplication Application => new(
        DocumentNumber.Create(Deyang, 2026, 7),
        new DateOnly(2026, 3, 20),
        Person,
        InsuranceType.Employee,
        HohhotAgency,
        new Applicant("张小三", IdentityNumber.Parse(ReferenceIdentity.Make("510603", new DateOnly(1990, 1, 2), 24)), "配偶", "13900000000", "德阳市旌阳区某路2号", "618000"));

    public static ContactLetter Letter => new(
        DocumentNumber.Create(Deyang, 2026, 8),
        new DateOnly(2026, 3, 23),
        HohhotAgency,
        Person,
        true,
        InsuranceType.Employee,
        DeyangAgency,
        new BankAccount("德阳市医疗保障事务中心", "中国工商银行德阳分行", "102658000011", "2306000109200012345"),
        "李四",
        "0838-1234567");

    public static InformationTable Table => new(
        Person,
        [
            new InformationRow(new YearMonth(2015, 1), new YearMonth(2018, 12), InsuranceType.Resident, 48, "呼和浩特市医疗保障事务中心", Hohhot),
            new InformationRow(new YearMonth(2019, 1), new YearMonth(2022, 6), InsuranceType.Employee, 40, "包头市医疗保障事务中心", DivisionCode.Parse("150200"), "补缴2个月"),
            new InformationRow(new YearMonth(2022, 7), new YearMonth(2026, 2), InsuranceType.Employee, 44, "呼和浩特市医疗保障事务中心", Hohhot),
        ],
        new Money(1_234_567),
        "壹万贰仟叁佰肆拾伍元陆角柒分",
        "王五",
        "0471-1234567",
        HohhotAgency,
        new DateOnly(2026, 3, 30));

    public static CareFiling Filing => new(
        "F-150100-2026-0001",
        new DateOnly(2026, 4, 1),
        Person,
        "0471-7654321",
        InsuranceType.Employee,
        CareFilingCategory.LongTermResident,
        null,
        Hohhot,
        new ProvinceCode("51"),
        Deyang,
        DivisionCode.Parse("510603"),
        "内蒙古呼和浩特市新城区某街1号",
        "四川省德阳市旌阳区某路2号",
        new DateOnly(2026, 4, 1),
        new DateOnly(2027, 3, 31));
}
