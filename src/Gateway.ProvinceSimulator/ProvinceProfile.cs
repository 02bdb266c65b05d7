namespace Gateway.ProvinceSimulator;

/// <summary>A county-level district: its code prefixes identity numbers, its city is the pooling region.</summary>
public sealed record District(string Code, string CityName, string Name, string Postcode)
{
    /// <summary>
    /// The GB/T 2260 county code that starts its people's identity numbers: the district code itself, except in the
    /// Production and Construction Corps (66), whose people carry Xinjiang county codes (e.g. 659001 石河子市).
    /// </summary>
    public string IdentityRegion { get; init; } = Code;

    /// <summary>Pooling regions in the demo provinces are prefecture-level cities: code ends in "00".</summary>
    public string PoolingRegion => Code[..4] + "00";
}

/// <summary>Reference data a synthetic province system needs: names, districts, phone area code.</summary>
public sealed record ProvinceProfile(
    string Code,
    string Name,
    string AreaCode,
    IReadOnlyList<District> Districts)
{
    /// <summary>The province-level agency (e.g. 四川省医疗保障事务中心).</summary>
    public string ProvinceAgencyName => Name + "医疗保障事务中心";

    /// <summary>The default pooling region: that of the first district (the capital).</summary>
    public District Capital => Districts[0];

    public District DistrictOfRegion(string poolingRegion) =>
        Districts.FirstOrDefault(d => d.PoolingRegion == poolingRegion) ?? Capital;

    public static ProvinceProfile For(string provinceCode)
    {
        if (provinceCode is not { Length: 2 } || !provinceCode.All(char.IsAsciiDigit))
            throw new ArgumentException($"Province code must be two digits, got '{provinceCode}'.", nameof(provinceCode));
        return ProvinceData.Detailed.TryGetValue(provinceCode, out var p) ? p : ProvinceData.Fallback(provinceCode);
    }
}
