using System.Reflection;
using Gateway.Domain.Calendar;
using Gateway.Domain.Rules;

namespace Gateway.Domain.Seeds;

/// <summary>
/// The reference data embedded from the repository's seeds/ folder (resource names "seeds/&lt;path&gt;").
/// Reading files is the host's business: to add a calendar year at runtime, pass its text to
/// <see cref="WorkingDayCalendar.WithYears(string[])"/> on <see cref="Calendar"/>.
/// </summary>
public static class SeedLibrary
{
    private const string Prefix = "seeds/";
    private static readonly Assembly Assembly = typeof(SeedLibrary).Assembly;

    private static readonly Lazy<WorkingDayCalendar> LazyCalendar = new(() =>
        WorkingDayCalendar.Empty.WithYears(Names("calendars/").Select(ReadText).ToArray()));
    private static readonly Lazy<RegimeBook> LazyRegimes = new(() => RegimeBook.Parse(ReadText("regimes.json")));
    private static readonly Lazy<ProvinceDirectory> LazyProvinces = new(() => ProvinceDirectory.Parse(ReadText("divisions/provinces.json")));
    private static readonly Lazy<IReadOnlyList<ServiceCatalogue>> LazyCatalogues = new(() =>
        Names("catalogues/").Select(n => ServiceCatalogue.Parse(ReadText(n))).ToList());

    /// <summary>Official calendars for every embedded year (2025, 2026, ...).</summary>
    public static WorkingDayCalendar Calendar => LazyCalendar.Value;

    public static RegimeBook Regimes => LazyRegimes.Value;

    public static ProvinceDirectory Provinces => LazyProvinces.Value;

    /// <summary>National and provincial service lists.</summary>
    public static IReadOnlyList<ServiceCatalogue> Catalogues => LazyCatalogues.Value;

    public static ServiceCatalogue Catalogue(string id) =>
        Catalogues.FirstOrDefault(c => c.Id == id) ?? throw new KeyNotFoundException($"No catalogue '{id}'.");

    /// <summary>Seed paths under seeds/, e.g. "calendars/2026.json", optionally filtered by folder prefix.</summary>
    public static IReadOnlyList<string> Names(string folder = "") =>
        Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix + folder, StringComparison.Ordinal))
            .Select(n => n[Prefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToList();

    public static string ReadText(string path)
    {
        using var s = Assembly.GetManifestResourceStream(Prefix + path)
                      ?? throw new FileNotFoundException($"No embedded seed '{path}'.", path);
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
