using System.Text.Json;
using Gateway.Domain.Values;

namespace Gateway.Domain.Rules;

public sealed record PoolingRegion(DivisionCode Code, string Name);

/// <summary>A province-level division (GB/T 2260 two-digit code; 66 is the Xinjiang Production and Construction Corps).</summary>
/// <param name="FilingsNameProvinceOnly">Cross-region care filings to this province name the province, not a city or county.</param>
public sealed record Province(ProvinceCode Code, string Name, string NameEn, bool FilingsNameProvinceOnly,
    IReadOnlyList<PoolingRegion> PoolingRegions);

/// <summary>Province and pooling-region reference data.</summary>
public sealed class ProvinceDirectory
{
    private readonly Dictionary<string, Province> _byCode;

    public ProvinceDirectory(IEnumerable<Province> provinces)
    {
        _byCode = new Dictionary<string, Province>(StringComparer.Ordinal);
        foreach (var p in provinces)
        {
            if (p.Code.Value is not { Length: 2 } || !p.Code.Value.All(char.IsAsciiDigit))
                throw new FormatException($"Province code '{p.Code}' is not two digits.");
            if (!_byCode.TryAdd(p.Code.Value, p)) throw new FormatException($"Province {p.Code} listed twice.");
            foreach (var r in p.PoolingRegions)
                if (r.Code.Value is not { Length: 6 } || !r.Code.Value.StartsWith(p.Code.Value, StringComparison.Ordinal))
                    throw new FormatException($"Pooling region {r.Code} does not belong to province {p.Code}.");
        }
    }

    public IReadOnlyCollection<Province> All => _byCode.Values;

    public bool Contains(ProvinceCode code) => _byCode.ContainsKey(code.Value);

    public Province? Find(ProvinceCode code) => _byCode.GetValueOrDefault(code.Value);

    public Province Get(ProvinceCode code) =>
        Find(code) ?? throw new KeyNotFoundException($"Unknown province code '{code}'.");

    /// <summary>The named pooling region, if the directory lists it.</summary>
    public PoolingRegion? FindPoolingRegion(DivisionCode code) =>
        code.Value is { Length: 6 } v && _byCode.TryGetValue(v[..2], out var p)
            ? p.PoolingRegions.FirstOrDefault(r => r.Code.Value == v)
            : null;

    /// <summary>Parses seeds/divisions/provinces.json.</summary>
    /// <exception cref="FormatException">The text is not valid division data.</exception>
    public static ProvinceDirectory Parse(string json)
    {
        try
        {
            var d = JsonSerializer.Deserialize<DirectoryDto>(json, SeedJson.Options)
                    ?? throw new FormatException("Division data is empty.");
            return new ProvinceDirectory((d.Provinces ?? []).Select(p => new Province(
                new ProvinceCode(p.Code ?? throw new FormatException("A province has no code.")),
                p.Name ?? throw new FormatException($"Province {p.Code} has no name."),
                p.NameEn ?? p.Name,
                p.FilingsNameProvinceOnly,
                (p.PoolingRegions ?? []).Select(r => new PoolingRegion(new DivisionCode(r.Code ?? ""), r.Name ?? "")).ToList())));
        }
        catch (JsonException e)
        {
            throw new FormatException("Division data is not valid JSON: " + e.Message, e);
        }
    }

    private sealed record DirectoryDto(List<ProvinceDto>? Provinces);
    private sealed record ProvinceDto(string? Code, string? Name, string? NameEn, bool FilingsNameProvinceOnly, List<RegionDto>? PoolingRegions);
    private sealed record RegionDto(string? Code, string? Name);
}
