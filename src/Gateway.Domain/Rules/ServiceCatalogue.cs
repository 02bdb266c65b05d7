using System.Text.Json;
using Gateway.Domain.Values;

namespace Gateway.Domain.Rules;

public enum TimeLimitKind
{
    /// <summary>即时办结: handled on the spot.</summary>
    Immediate,
    WorkingDays,
    /// <summary>Plain calendar days (the source says 日, not 工作日).</summary>
    CalendarDays,
    /// <summary>Governed by the designated-institution agreement rules rather than the list.</summary>
    PerAgreement,
    /// <summary>The source leaves the limit empty.</summary>
    None,
    /// <summary>Different limits by case; see <see cref="TimeLimit.Variants"/>.</summary>
    Variants,
}

/// <summary>A catalogue row's time limit. <see cref="When"/> names the case a variant covers (e.g. "online").</summary>
public sealed record TimeLimit(TimeLimitKind Kind, int? Days = null, string? When = null, string? From = null,
    IReadOnlyList<TimeLimit>? Variants = null)
{
    public static TimeLimit Immediate { get; } = new(TimeLimitKind.Immediate);
    public static TimeLimit OfWorkingDays(int days) => new(TimeLimitKind.WorkingDays, days);

    public override string ToString() => Kind switch
    {
        TimeLimitKind.WorkingDays => $"{Days} working days",
        TimeLimitKind.CalendarDays => $"{Days} days",
        TimeLimitKind.Variants => string.Join("; ", Variants!.Select(v => $"{v.When}: {v}")),
        _ => Kind.ToString(),
    };
}

/// <summary>Main item (主项) a row belongs to, or the parent sub-item of a Ningxia business item.</summary>
public sealed record ItemRef(int? Seq, string? Name, string? Code);

/// <summary>One row of a service list: a sub-item (子项), or in Ningxia's list a business item (业务办理项).</summary>
/// <param name="CrossProvince">跨省通办 flag where the source has the column; null otherwise.</param>
public sealed record ServiceItem(
    ItemRef MainItem,
    ItemRef? SubItem,
    int Seq,
    string Name,
    string? Code,
    TimeLimit TimeLimit,
    IReadOnlyList<string> Steps,
    bool? CrossProvince);

/// <summary>A service list (national or provincial) as structured rows.</summary>
public sealed record ServiceCatalogue(string Id, ProvinceCode? Province, string Title, string Source, IReadOnlyList<ServiceItem> Items)
{
    public ServiceItem? FindByCode(string code) => Items.FirstOrDefault(i => i.Code == code);

    /// <summary>Parses a seeds/catalogues/*.json file.</summary>
    /// <exception cref="FormatException">The text is not valid catalogue data.</exception>
    public static ServiceCatalogue Parse(string json)
    {
        try
        {
            var d = JsonSerializer.Deserialize<CatalogueDto>(json, SeedJson.Options)
                    ?? throw new FormatException("Catalogue data is empty.");
            if (string.IsNullOrWhiteSpace(d.Catalogue)) throw new FormatException("Catalogue has no id.");
            var items = (d.Items ?? []).Select(i => ToItem(d.Catalogue, i)).ToList();
            return new ServiceCatalogue(d.Catalogue, d.Province is null ? null : new ProvinceCode(d.Province),
                d.Title ?? d.Catalogue, d.Source ?? "", items);
        }
        catch (JsonException e)
        {
            throw new FormatException("Catalogue data is not valid JSON: " + e.Message, e);
        }
    }

    private static ServiceItem ToItem(string catalogue, ItemDto i)
    {
        if (string.IsNullOrWhiteSpace(i.Name)) throw new FormatException($"Catalogue {catalogue}: row {i.Seq} has no name.");
        return new ServiceItem(i.MainItem ?? new ItemRef(null, null, null), i.SubItem, i.Seq, i.Name, i.Code,
            ToLimit(catalogue, i.Seq, i.TimeLimit), i.Steps ?? [], i.CrossProvince);
    }

    private static TimeLimit ToLimit(string catalogue, int seq, LimitDto? l)
    {
        if (l is null) return new TimeLimit(TimeLimitKind.None);
        if (!Enum.TryParse<TimeLimitKind>(l.Kind, ignoreCase: true, out var kind))
            throw new FormatException($"Catalogue {catalogue}: row {seq} has unknown time-limit kind '{l.Kind}'.");
        var needsDays = kind is TimeLimitKind.WorkingDays or TimeLimitKind.CalendarDays;
        if (needsDays && l.Days is not > 0)
            throw new FormatException($"Catalogue {catalogue}: row {seq} needs a positive day count.");
        var variants = kind == TimeLimitKind.Variants
            ? (l.Variants ?? []).Select(v => ToLimit(catalogue, seq, v)).ToList()
            : null;
        return new TimeLimit(kind, needsDays ? l.Days : null, l.When, l.From, variants);
    }

    private sealed record CatalogueDto(string? Catalogue, string? Province, string? Title, string? Source, List<ItemDto>? Items);
    private sealed record ItemDto(ItemRef? MainItem, ItemRef? SubItem, int Seq, string? Name, string? Code,
        LimitDto? TimeLimit, List<string>? Steps, bool? CrossProvince);
    private sealed record LimitDto(string? Kind, int? Days, string? When, string? From, List<LimitDto>? Variants);
}
