using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Primitives;

namespace Gateway.Ops.Console;

/// <summary>
/// Reads a query string or a form body by name with bounds: one value per name, a length limit, no control or format
/// characters, only the names the page knows. Problems are collected and shown together as a 400 page.
/// </summary>
public sealed class Input
{
    public const int MaxIdLength = 64;
    public const int MaxTokenLength = 512;
    public const int MaxReasonLength = 500;
    public const int MaxNameLength = 100;

    private readonly Func<string, StringValues> _get;
    private readonly List<string> _problems = [];

    private Input(IEnumerable<string> keys, Func<string, StringValues> get, IReadOnlyCollection<string> allowed)
    {
        _get = get;
        foreach (var key in keys)
        {
            if (allowed.Contains(key, StringComparer.Ordinal)) continue;
            _problems.Add($"Unknown parameter '{Shorten(key)}'.");
            if (_problems.Count >= 5) break;
        }
    }

    public static Input Of(IQueryCollection query, params string[] allowed) => new(query.Keys, k => query[k], allowed);

    public static Input Of(IFormCollection form, params string[] allowed) => new(form.Keys, k => form[k], allowed);

    public IReadOnlyList<string> Problems => _problems;

    public bool Ok => _problems.Count == 0;

    public void Problem(string text) => _problems.Add(text);

    /// <summary>The value, trimmed; null when absent or empty.</summary>
    public string? Text(string name, int maxLength = MaxIdLength, string? label = null, bool multiline = false)
    {
        var values = _get(name);
        if (values.Count == 0) return null;
        if (values.Count > 1) { _problems.Add($"{label ?? name}: given {values.Count} times; give it once."); return null; }
        var value = values[0]?.Trim() ?? "";
        if (value.Length == 0) return null;
        if (value.Length > maxLength) { _problems.Add($"{label ?? name}: at most {maxLength} characters (got {value.Length})."); return null; }
        if (!Clean(value, multiline)) { _problems.Add($"{label ?? name}: contains control or invisible formatting characters."); return null; }
        return value;
    }

    public string? Required(string name, int maxLength = MaxIdLength, string? label = null, bool multiline = false)
    {
        var before = _problems.Count;
        var value = Text(name, maxLength, label, multiline);
        // Only "required" when Text did not already say what was wrong with the value given.
        if (value is null && _problems.Count == before) _problems.Add($"{label ?? name}: required.");
        return value;
    }

    public int Int(string name, int min, int max, int fallback, string? label = null)
    {
        var text = Text(name, 12, label);
        if (text is null) return fallback;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max) return n;
        _problems.Add($"{label ?? name}: a whole number from {min} to {max}.");
        return fallback;
    }

    public long? Long(string name, string? label = null)
    {
        var text = Text(name, 19, label);
        if (text is null) return null;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0) return n;
        _problems.Add($"{label ?? name}: a positive whole number.");
        return null;
    }

    public string? Province(string name, string? label = null)
    {
        var text = Text(name, 2, label);
        if (text is null) return null;
        if (Labels.IsProvince(text)) return text;
        _problems.Add($"{label ?? name}: a two-digit province code (e.g. 15 or 51).");
        return null;
    }

    public string? OneOf(string name, IReadOnlyCollection<string> allowed, string? label = null)
    {
        var text = Text(name, 40, label);
        if (text is null || allowed.Contains(text, StringComparer.Ordinal)) return text;
        _problems.Add($"{label ?? name}: one of {string.Join(", ", allowed)}.");
        return null;
    }

    /// <summary>
    /// A date (yyyy-MM-dd) or date and time (yyyy-MM-ddTHH:mm[:ss]) in Beijing time. <paramref name="endOfDay"/>: a plain
    /// date as the end of a range means the whole day, so it becomes the next day's start.
    /// </summary>
    public DateTimeOffset? Time(string name, bool endOfDay = false, string? label = null)
    {
        var text = Text(name, 19, label);
        if (text is null) return null;
        string[] withTime = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss"];
        if (DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) && day.Year >= 1990 && day.Year <= 2200)
        {
            var start = new DateTimeOffset(day, Labels.BeijingOffset);
            return endOfDay ? start.AddDays(1) : start;
        }
        if (DateTime.TryParseExact(text, withTime, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) && at.Year >= 1990 && at.Year <= 2200)
            return new DateTimeOffset(at, Labels.BeijingOffset);
        _problems.Add($"{label ?? name}: a date (2026-03-01) or date and time (2026-03-01T08:00), Beijing time.");
        return null;
    }

    public Gateway.Contracts.Ops.V1.TimeRange? Range(string fromName, string toName, bool required = false, string? label = null)
    {
        var from = Time(fromName, false);
        var to = Time(toName, true);
        if (required && (from is null || to is null) && Ok) _problems.Add($"{label ?? "range"}: give both {fromName} and {toName}.");
        if (from is not null && to is not null && from >= to) _problems.Add($"{label ?? "range"}: {fromName} must be before {toName}.");
        if (from is null && to is null) return null;
        return new Gateway.Contracts.Ops.V1.TimeRange
        {
            From = from is { } f ? Timestamp.FromDateTimeOffset(f) : null,
            To = to is { } t ? Timestamp.FromDateTimeOffset(t) : null,
        };
    }

    public bool Checked(string name) => _get(name) is { Count: 1 } v && v[0] is "on" or "true" or "yes" or "1";

    private static bool Clean(string value, bool multiline)
    {
        foreach (var r in value.EnumerateRunes())
        {
            if (multiline && (r.Value is '\n' or '\r' or '\t')) continue;
            var cat = System.Text.Rune.GetUnicodeCategory(r);
            if (cat is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned)
                return false;
        }
        // EnumerateRunes turns a lone surrogate into U+FFFD: refuse those too.
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))) return false;
            if (char.IsLowSurrogate(value[i]) && (i == 0 || !char.IsHighSurrogate(value[i - 1]))) return false;
        }
        return true;
    }

    private static string Shorten(string key)
    {
        var cleaned = new string(key.Where(c => !char.IsControl(c) && !char.IsSurrogate(c)).Take(40).ToArray());
        return cleaned.Length < key.Length ? cleaned + "…" : cleaned;
    }
}
