using Gateway.Contracts.Transfer.V1;

namespace Gateway.ProvinceSimulator;

/// <summary>
/// What a clerk at this province's agency fills in: agencies, bank accounts, certificates,
/// applications. Values are realistic for the province and deterministic, so a retried call
/// carries the same request.
/// </summary>
public sealed class ProvinceDocuments(ProvinceProfile profile)
{
    private static readonly string[] Streets = ["人民路", "解放路", "建设路", "新华街", "中山路", "和平路"];
    private static readonly string[] Clerks = ["张敏", "李静", "王磊", "刘洋", "陈晓燕", "杨帆", "赵丽", "马海涛"];

    public ProvinceProfile Profile => profile;

    /// <summary>The agency of a pooling region (default: the capital's), e.g. 成都市医疗保障事务中心.</summary>
    public Agency BuildAgency(string? poolingRegion = null)
    {
        var district = poolingRegion is null ? profile.Capital : profile.DistrictOfRegion(poolingRegion);
        return new Agency
        {
            Name = AgencyNames.PoolingRegion(district),
            Admdvs = district.PoolingRegion,
            Address = $"{profile.Name}{district.CityName}{district.Name}{Pick(Streets, district.Code)}{1 + Hash(district.Code) % 200}号",
            Postcode = district.Postcode,
            Contact = Pick(Clerks, district.Code),
            Phone = OfficePhone(district.Code),
        };
    }

    /// <summary>The province-level agency (e.g. 四川省医疗保障事务中心) at the capital's address.</summary>
    public Agency BuildProvinceAgency()
    {
        var agency = BuildAgency();
        agency.Name = profile.ProvinceAgencyName;
        agency.Admdvs = profile.Code + "0000";
        return agency;
    }

    /// <summary>Where this province, as destination, receives transferred balances.</summary>
    public Agency BuildDestinationAgency(string? poolingRegion = null) => BuildAgency(poolingRegion);

    /// <summary>The agency's settlement account at a state bank (行号 is a 12-digit CNAPS code).</summary>
    public BankAccount BuildBankAccount(Agency agency)
    {
        var h = Hash(agency.Admdvs);
        var city = profile.DistrictOfRegion(agency.Admdvs).CityName;
        return new BankAccount
        {
            AccountName = agency.Name,
            BankName = $"中国工商银行{city}分行",
            BankCode = $"102{agency.Admdvs[..4]}{h % 100_000:00000}",
            AccountNumber = $"4402{agency.Admdvs}{h % 1_000_000_000:000000000}",
        };
    }

    /// <summary>A certificate (参保凭证) for the person; the node assigns the number and the capitals.</summary>
    public Certificate BuildCertificate(SyntheticPerson person, Agency? issuingAgency, DateOnly issuedOn)
    {
        ArgumentNullException.ThrowIfNull(person);
        var periods = person.Periods;
        return new Certificate
        {
            IssuedOn = issuedOn.ToString("yyyy-MM-dd"),
            Person = person.ToProto(),
            Insutype = person.InsuranceType,
            InsuplcAdmdvs = person.PoolingRegion,
            EnrolledFrom = periods.Count > 0 ? periods[0].FromMonth.ToString("yyyy-MM") : "",
            EnrolledTo = periods.Count > 0 ? periods[^1].ToMonth.ToString("yyyy-MM") : "",
            PaidMonths = person.PaidMonths,
            AccountBalanceFen = person.BalanceFen,
            IssuingAgency = issuingAgency ?? BuildAgency(person.PoolingRegion),
        };
    }

    /// <summary>The application (申请表) a person files here with the certificate the origin gave them.</summary>
    public Application BuildApplication(Certificate certificate, DateOnly submittedOn, Applicant? applicant = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var person = certificate.Person.Clone();
        // The person now lives here: contact address and postcode are local.
        var district = profile.Districts[(int)(Hash(person.Certno) % (uint)profile.Districts.Count)];
        person.ContactAddress = $"{profile.Name}{district.CityName}{district.Name}{Pick(Streets, person.Certno)}{1 + Hash(person.Certno) % 300}号";
        person.Postcode = district.Postcode;
        var application = new Application
        {
            Number = $"SQ{profile.Capital.PoolingRegion}{submittedOn:yyyyMMdd}{Hash(person.Certno) % 10_000:0000}",
            SubmittedOn = submittedOn.ToString("yyyy-MM-dd"),
            Person = person,
            Insutype = certificate.Insutype,
            OriginAgency = certificate.IssuingAgency?.Clone() ?? new Agency(),
        };
        if (applicant is not null) application.Applicant = applicant;
        return application;
    }

    /// <summary>The whole acceptance call a destination clerk makes (application, certificate, receiving account).</summary>
    public SubmitApplicationRequest BuildSubmitApplication(Certificate certificate, DateOnly acceptedOn, string? poolingRegion = null)
    {
        var agency = BuildDestinationAgency(poolingRegion);
        return new SubmitApplicationRequest
        {
            Application = BuildApplication(certificate, acceptedOn),
            Certificate = certificate,
            DestinationAgency = agency,
            DestinationAccount = BuildBankAccount(agency),
            Handler = agency.Contact,
            HandlerPhone = agency.Phone,
            AcceptedOn = acceptedOn.ToString("yyyy-MM-dd"),
        };
    }

    /// <summary>Landline at the agency: area code plus a local number (7 digits after 4-digit area codes).</summary>
    internal string OfficePhone(string seed)
    {
        var digits = profile.AreaCode.Length >= 4 ? 7 : 8;
        var local = (6_000_000 + Hash(seed) % 3_000_000).ToString();
        if (digits == 8) local = "8" + local;
        return $"{profile.AreaCode}-{local}";
    }

    private static string Pick(string[] items, string seed) => items[Hash(seed) % (uint)items.Length];

    // FNV-1a: stable across runs and platforms, unlike string.GetHashCode.
    internal static uint Hash(string s)
    {
        var h = 2166136261u;
        foreach (var c in s) { h ^= c; h *= 16777619u; }
        return h;
    }
}
