namespace Gateway.Domain.Values;

/// <summary>Six-digit administrative division code (行政区划代码, GB/T 2260); the province is its first two digits.</summary>
/// <remarks>The positional constructor does not validate (reference data and unchecked input use it); call <see cref="Check"/> or <see cref="TryParse"/>.</remarks>
public readonly record struct DivisionCode(string Value)
{
    public ProvinceCode Province => new(Value is { Length: >= 2 } ? Value[..2] : Value ?? "");

    /// <summary>xx0000: a whole province.</summary>
    public bool IsProvinceLevel => IsWellFormed && Value.EndsWith("0000", StringComparison.Ordinal);

    /// <summary>xxyy00 (yy ≠ 00): a prefecture-level city, league or state (地区/市/州/盟).</summary>
    public bool IsPrefectureLevel => IsWellFormed && Value.EndsWith("00", StringComparison.Ordinal) && !IsProvinceLevel;

    /// <summary>xxyyzz (zz ≠ 00): a county or district.</summary>
    public bool IsCountyLevel => IsWellFormed && !Value.EndsWith("00", StringComparison.Ordinal);

    /// <summary>The prefecture containing this code (first four digits + "00").</summary>
    public DivisionCode Prefecture => new(Value[..4] + "00");

    /// <summary>True when <paramref name="other"/> lies inside this division (or is it).</summary>
    public bool Contains(DivisionCode other)
    {
        if (!IsWellFormed || !other.IsWellFormed) return false;
        if (IsProvinceLevel) return other.Value[..2] == Value[..2];
        if (IsPrefectureLevel) return other.Value[..4] == Value[..4];
        return other.Value == Value;
    }

    private bool IsWellFormed => Value is { Length: 6 } && Value.All(char.IsAsciiDigit);

    /// <summary>Null when valid, otherwise why not.</summary>
    public string? Check()
    {
        if (string.IsNullOrEmpty(Value)) return "required";
        if (!IsWellFormed) return "must be 6 digits";
        return Province.IsKnown ? null : $"'{Value[..2]}' is not a known province code";
    }

    public static bool TryParse(string? text, out DivisionCode value, out string? error)
    {
        var candidate = new DivisionCode(text?.Trim() ?? "");
        error = candidate.Check();
        value = error is null ? candidate : default;
        return error is null;
    }

    public static DivisionCode Parse(string text) =>
        TryParse(text, out var value, out var error) ? value : throw new FormatException($"Division code: {error}.");

    public override string ToString() => Value ?? "";
}
