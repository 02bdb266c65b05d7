using Gateway.Domain.Values;

namespace Gateway.Node.Infrastructure;

/// <summary>
/// The provinces taking part in the exchange ("Gateway:ExchangeProvinces": an array or a comma-separated list of
/// two-digit codes; default every province-level code). Record sync derives index provinces from it and backfill asks
/// every other member. A cluster of a few provinces (the demo, the tests) names its own.
/// </summary>
public sealed class ExchangeMembers
{
    public const string Setting = "Gateway:ExchangeProvinces";

    public ExchangeMembers(IConfiguration config, NodeIdentity node)
    {
        var section = config.GetSection(Setting);
        var listed = section.GetChildren().Select(c => c.Value).ToList();
        if (listed.Count == 0 && !string.IsNullOrWhiteSpace(section.Value)) listed = section.Value.Split(',').Select(v => (string?)v).ToList();
        var codes = listed.Select(v => v?.Trim() ?? "").Where(v => v.Length > 0).Distinct().Order(StringComparer.Ordinal).ToList();
        var unknown = codes.Where(c => !new ProvinceCode(c).IsKnown).ToList();
        if (unknown.Count > 0)
            throw new NodeConfigurationException($"{Setting} lists codes that are not provinces: {string.Join(", ", unknown)}.");
        Provinces = codes.Count == 0 ? ProvinceCode.All.Select(p => p.Value).ToList() : codes;
        if (!Provinces.Contains(node.Province))
            throw new NodeConfigurationException($"{Setting} must include this node's own province {node.Province}.");
        Others = Provinces.Where(p => p != node.Province).ToList();
    }

    /// <summary>Every member, in code order, this node included.</summary>
    public IReadOnlyList<string> Provinces { get; }

    public IReadOnlyList<string> Others { get; }

    public bool Contains(string province) => Provinces.Contains(province);
}
