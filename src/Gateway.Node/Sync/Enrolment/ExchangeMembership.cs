using Gateway.Domain.Records;
using Gateway.Domain.Values;
using Gateway.Node.Infrastructure;

namespace Gateway.Node.Sync.Enrolment;

/// <summary>
/// The provinces in the exchange (setting <c>Gateway:ExchangeProvinces</c>: comma-separated codes, or a list; default
/// all 32 province-level codes) and, from them, each person's index province. Every node must list the same provinces.
/// </summary>
public sealed class ExchangeMembership
{
    public const string Setting = "Gateway:ExchangeProvinces";

    public ExchangeMembership(IConfiguration config, NodeIdentity node)
    {
        var section = config.GetSection(Setting);
        var listed = section.GetChildren().Select(c => c.Value ?? "").ToList();
        if (listed.Count == 0 && !string.IsNullOrWhiteSpace(section.Value)) listed = section.Value.Split(',').ToList();
        var codes = listed.Select(c => c.Trim()).Where(c => c.Length > 0).ToList();
        if (codes.Count == 0) codes = ProvinceCode.All.Select(p => p.Value).ToList();

        var unknown = codes.Where(c => !new ProvinceCode(c).IsKnown).ToList();
        if (unknown.Count > 0)
            throw new NodeConfigurationException($"{Setting} names unknown province codes ({string.Join(", ", unknown)}).");
        if (!codes.Contains(node.Province))
            throw new NodeConfigurationException($"{Setting} must include this node's own province {node.Province}.");
        Index = new IndexProvince(codes.Select(c => new ProvinceCode(c)));
    }

    public IndexProvince Index { get; }

    public string IndexOf(IdentityNumber person) => Index.For(person).Value;
}
