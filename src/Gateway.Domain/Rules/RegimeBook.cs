using System.Text.Json;
using Gateway.Domain.Values;

namespace Gateway.Domain.Rules;

/// <summary>All transfer regimes; provinces without their own list get the national fallback.</summary>
public sealed class RegimeBook
{
    private readonly Dictionary<string, TransferRegime> _byProvince;

    public RegimeBook(TransferRegime fallback, IEnumerable<TransferRegime> provincial)
    {
        Fallback = fallback;
        _byProvince = new Dictionary<string, TransferRegime>(StringComparer.Ordinal);
        foreach (var r in provincial)
        {
            if (r.Province is not { } p) throw new ArgumentException($"Regime '{r.Id}' names no province.", nameof(provincial));
            if (!_byProvince.TryAdd(p.Value, r)) throw new ArgumentException($"Province {p} has two regimes.", nameof(provincial));
        }
    }

    public TransferRegime Fallback { get; }

    public IReadOnlyCollection<TransferRegime> Provincial => _byProvince.Values;

    /// <summary>The regime a province's agencies follow: its own, or the national one.</summary>
    public TransferRegime For(ProvinceCode province) =>
        _byProvince.TryGetValue(province.Value, out var r) ? r : Fallback;

    /// <summary>The regime that governs <paramref name="step"/> of a transfer between the two provinces.</summary>
    public TransferRegime Governing(TransferStep step, ProvinceCode origin, ProvinceCode destination) =>
        For(step.PerformedBy() == TransferSide.Origin ? origin : destination);

    /// <summary>Parses seeds/regimes.json.</summary>
    /// <exception cref="FormatException">The text is not valid regime data.</exception>
    public static RegimeBook Parse(string json)
    {
        try
        {
            var dto = JsonSerializer.Deserialize<BookDto>(json, SeedJson.Options)
                      ?? throw new FormatException("Regime data is empty.");
            var regimes = (dto.Regimes ?? []).Select(ToRegime).ToList();
            var fallback = regimes.SingleOrDefault(r => r.Id == dto.Fallback)
                           ?? throw new FormatException($"Fallback regime '{dto.Fallback}' is not defined.");
            return new RegimeBook(fallback, regimes.Where(r => r != fallback));
        }
        catch (ArgumentException e)
        {
            throw new FormatException("Regime data is not valid: " + e.Message, e);
        }
        catch (JsonException e)
        {
            throw new FormatException("Regime data is not valid JSON: " + e.Message, e);
        }
    }

    private static TransferRegime ToRegime(RegimeDto d)
    {
        if (string.IsNullOrWhiteSpace(d.Id)) throw new FormatException("A regime has no id.");
        var s = d.Steps ?? throw new FormatException($"Regime '{d.Id}' has no steps.");
        int[] limits = [s.ContactLetter, s.InfoTable, s.Balance, s.Completion, d.Overall];
        if (limits.Any(x => x < 0) || d.Overall == 0) throw new FormatException($"Regime '{d.Id}' has an invalid limit.");
        return new TransferRegime(d.Id, d.Province is null ? null : new ProvinceCode(d.Province), d.Name ?? d.Id,
            new StepLimits(s.ContactLetter, s.InfoTable, s.Balance, s.Completion), d.Overall, d.Source ?? "", d.Notes);
    }

    private sealed record BookDto(string? Fallback, List<RegimeDto>? Regimes);
    private sealed record RegimeDto(string? Id, string? Province, string? Name, string? Source, StepsDto? Steps, int Overall, string? Notes);
    private sealed record StepsDto(int ContactLetter, int InfoTable, int Balance, int Completion);
}
