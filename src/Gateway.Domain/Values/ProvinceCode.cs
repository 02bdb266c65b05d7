namespace Gateway.Domain.Values;

/// <summary>Two-digit GB/T 2260 province-level code, e.g. "15" 内蒙古, "51" 四川; "66" is the Xinjiang Production and Construction Corps.</summary>
/// <remarks>The positional constructor does not validate (reference data and unchecked input use it); call <see cref="Check"/> or <see cref="TryParse"/>.</remarks>
public readonly record struct ProvinceCode(string Value)
{
    // The 31 province-level divisions plus the Corps: the insurance provinces a gateway node can stand for.
    private static readonly HashSet<string> Known =
    [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "66",
    ];

    /// <summary>Every known province code, in code order.</summary>
    public static IReadOnlyList<ProvinceCode> All { get; } = Known.Order(StringComparer.Ordinal).Select(c => new ProvinceCode(c)).ToArray();

    public bool IsKnown => Value is not null && Known.Contains(Value);

    /// <summary>Null when valid, otherwise why not.</summary>
    public string? Check()
    {
        if (string.IsNullOrEmpty(Value)) return "required";
        if (Value.Length != 2 || !Value.All(char.IsAsciiDigit)) return "must be 2 digits";
        return IsKnown ? null : $"'{Value}' is not a known province code";
    }

    public static bool TryParse(string? text, out ProvinceCode value, out string? error)
    {
        var candidate = new ProvinceCode(text?.Trim() ?? "");
        error = candidate.Check();
        value = error is null ? candidate : default;
        return error is null;
    }

    public static ProvinceCode Parse(string text) =>
        TryParse(text, out var value, out var error) ? value : throw new FormatException($"Province code: {error}.");

    /// <summary>The province-level division code, e.g. "510000".</summary>
    public DivisionCode ToDivisionCode() => new(Value + "0000");

    public override string ToString() => Value ?? "";
}
