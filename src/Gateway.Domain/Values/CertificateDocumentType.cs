namespace Gateway.Domain.Values;

/// <summary>
/// Identity-document type (身份证件类型). Where the national platform has a psn_cert_type code the enum value is that code
/// ("01" → 1); the one type without a known code has a value outside the national range and travels as "99".
/// The full mapping is <see cref="CertificateDocumentTypes.Table"/>.
/// </summary>
public enum CertificateDocumentType
{
    /// <summary>01 居民身份证（户口簿）: the household register carries the same citizen number, so it shares the code.</summary>
    ResidentIdentityCard = 1,

    /// <summary>02 中国人民解放军军官证.</summary>
    MilitaryOfficerCard = 2,

    /// <summary>03 中国人民武装警察警官证.</summary>
    ArmedPoliceOfficerCard = 3,

    /// <summary>04 香港特区护照/港澳居民来往内地通行证 (Hong Kong residents).</summary>
    HongKongTravelPermit = 4,

    /// <summary>05 澳门特区护照/港澳居民来往内地通行证 (Macao residents).</summary>
    MacaoTravelPermit = 5,

    /// <summary>06 台湾居民来往大陆通行证.</summary>
    TaiwanTravelPermit = 6,

    /// <summary>07 外国人永久居留证, including the 外国人永久居留身份证 card.</summary>
    ForeignPermanentResidentCard = 7,

    /// <summary>08 外国人护照.</summary>
    ForeignPassport = 8,

    /// <summary>11 外国人就业证 (seed 000: foreigners joining employee insurance show it).</summary>
    ForeignEmploymentPermit = 11,

    /// <summary>16 中国护照.</summary>
    ChinesePassport = 16,

    /// <summary>17 港澳台居民居住证: an 18-character number in the resident-ID format (prefix 81/82/83), so it is checksummed.</summary>
    HkMacaoTaiwanResidencePermit = 17,

    /// <summary>90 社会保障卡.</summary>
    SocialSecurityCard = 90,

    /// <summary>99 其他身份证件 (seed 003 第十二条: a newborn who died before registration is enrolled under this type).</summary>
    Other = 99,

    /// <summary>居住证 (mainland residence permit, named in seeds 000 and 004): no national code is known; sent as "99".</summary>
    ResidencePermit = 1001,
}

/// <summary>One row of the document-type mapping.</summary>
public sealed record CertificateDocumentTypeInfo(CertificateDocumentType Type, string NationalCode, string Name, bool Checksummed);

/// <summary>The document-type mapping to national psn_cert_type codes, kept as data.</summary>
public static class CertificateDocumentTypes
{
    // Codes from the national medical-insurance platform's psn_cert_type dictionary; names as printed there or in the seeds.
    public static IReadOnlyList<CertificateDocumentTypeInfo> Table { get; } =
    [
        new(CertificateDocumentType.ResidentIdentityCard, "01", "居民身份证（户口簿）", true),
        new(CertificateDocumentType.MilitaryOfficerCard, "02", "中国人民解放军军官证", false),
        new(CertificateDocumentType.ArmedPoliceOfficerCard, "03", "中国人民武装警察警官证", false),
        new(CertificateDocumentType.HongKongTravelPermit, "04", "香港特区护照/港澳居民来往内地通行证", false),
        new(CertificateDocumentType.MacaoTravelPermit, "05", "澳门特区护照/港澳居民来往内地通行证", false),
        new(CertificateDocumentType.TaiwanTravelPermit, "06", "台湾居民来往大陆通行证", false),
        new(CertificateDocumentType.ForeignPermanentResidentCard, "07", "外国人永久居留证", false),
        new(CertificateDocumentType.ForeignPassport, "08", "外国人护照", false),
        new(CertificateDocumentType.ForeignEmploymentPermit, "11", "外国人就业证", false),
        new(CertificateDocumentType.ChinesePassport, "16", "中国护照", false),
        new(CertificateDocumentType.HkMacaoTaiwanResidencePermit, "17", "港澳台居民居住证", true),
        new(CertificateDocumentType.SocialSecurityCard, "90", "社会保障卡", false),
        new(CertificateDocumentType.Other, "99", "其他身份证件", false),
        new(CertificateDocumentType.ResidencePermit, "99", "居住证", false),
    ];

    private static readonly Dictionary<CertificateDocumentType, CertificateDocumentTypeInfo> ByType = Table.ToDictionary(r => r.Type);

    // "99" decodes to Other: the residence permit has no code of its own.
    private static readonly Dictionary<string, CertificateDocumentType> ByCode =
        Table.Where(r => r.Type != CertificateDocumentType.ResidencePermit).ToDictionary(r => r.NationalCode, r => r.Type);

    public static bool IsDefined(CertificateDocumentType type) => ByType.ContainsKey(type);

    public static CertificateDocumentTypeInfo Info(CertificateDocumentType type) =>
        ByType.TryGetValue(type, out var info) ? info : throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown document type.");

    public static string ToNationalCode(this CertificateDocumentType type) => Info(type).NationalCode;

    /// <summary>Decodes a psn_cert_type code ("01", also "1").</summary>
    public static bool TryFromNationalCode(string? code, out CertificateDocumentType type)
    {
        var c = code?.Trim() ?? "";
        if (c.Length == 1) c = "0" + c;
        return ByCode.TryGetValue(c, out type);
    }
}
