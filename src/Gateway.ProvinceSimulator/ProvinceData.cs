namespace Gateway.ProvinceSimulator;

/// <summary>
/// Synthetic reference data. The three demo provinces get real district codes (GB/T 2260),
/// city names and postcodes; any other province gets a plausible capital district.
/// </summary>
internal static class ProvinceData
{
    public static readonly IReadOnlyDictionary<string, ProvinceProfile> Detailed = new Dictionary<string, ProvinceProfile>
    {
        ["15"] = new("15", "内蒙古自治区", "0471",
        [
            new("150102", "呼和浩特市", "新城区", "010050"),
            new("150103", "呼和浩特市", "回民区", "010030"),
            new("150105", "呼和浩特市", "赛罕区", "010020"),
            new("150202", "包头市", "东河区", "014040"),
            new("150204", "包头市", "青山区", "014030"),
        ]),
        ["51"] = new("51", "四川省", "028",
        [
            new("510104", "成都市", "锦江区", "610021"),
            new("510105", "成都市", "青羊区", "610031"),
            new("510106", "成都市", "金牛区", "610036"),
            new("510107", "成都市", "武侯区", "610041"),
            new("510703", "绵阳市", "涪城区", "621000"),
        ]),
        ["64"] = new("64", "宁夏回族自治区", "0951",
        [
            new("640104", "银川市", "兴庆区", "750001"),
            new("640105", "银川市", "西夏区", "750021"),
            new("640106", "银川市", "金凤区", "750002"),
            new("640202", "石嘴山市", "大武口区", "753000"),
            new("640302", "吴忠市", "利通区", "751100"),
        ]),
    };

    private static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        ["11"] = "北京市", ["12"] = "天津市", ["13"] = "河北省", ["14"] = "山西省", ["15"] = "内蒙古自治区",
        ["21"] = "辽宁省", ["22"] = "吉林省", ["23"] = "黑龙江省", ["31"] = "上海市", ["32"] = "江苏省",
        ["33"] = "浙江省", ["34"] = "安徽省", ["35"] = "福建省", ["36"] = "江西省", ["37"] = "山东省",
        ["41"] = "河南省", ["42"] = "湖北省", ["43"] = "湖南省", ["44"] = "广东省", ["45"] = "广西壮族自治区",
        ["46"] = "海南省", ["50"] = "重庆市", ["51"] = "四川省", ["52"] = "贵州省", ["53"] = "云南省",
        ["54"] = "西藏自治区", ["61"] = "陕西省", ["62"] = "甘肃省", ["63"] = "青海省", ["64"] = "宁夏回族自治区",
        ["65"] = "新疆维吾尔自治区", ["66"] = "新疆生产建设兵团",
    };

    /// <summary>A single capital district "PP0102" for provinces without detailed data.</summary>
    public static ProvinceProfile Fallback(string code)
    {
        var name = Names.TryGetValue(code, out var n) ? n : $"{code}省";
        var postcode = $"{code}0000";
        // 66 is a medical-insurance area code only: its people's identity numbers start with a Xinjiang county code.
        var capital = new District(code + "0102", name, "中心区", postcode);
        return new ProvinceProfile(code, name, "0" + code + "0", [code == "66" ? capital with { IdentityRegion = "659001" } : capital]);
    }
}
