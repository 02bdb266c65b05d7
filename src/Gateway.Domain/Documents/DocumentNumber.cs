using Gateway.Domain.Values;

namespace Gateway.Domain.Documents;

/// <summary>
/// The number printed on the certificate, application and contact letter: (省份)(统筹区)(年份)(第 XXXXX 号) in seed 004 附表9–11.
/// Machine form: 17 digits = province (2) + pooling region (6, starting with the same province) + year (4) + sequence (5),
/// e.g. "51510600202400042"; <see cref="ToDisplayString"/> gives the printed form.
/// </summary>
/// <remarks>The positional constructor does not validate (documents hold unchecked input); call <see cref="Check"/> or <see cref="TryParse"/>.</remarks>
public readonly record struct DocumentNumber(string Value)
{
    public const int Length = 17;
    public const int MaxSequence = 99_999;

    public static DocumentNumber Create(DivisionCode poolingRegion, int year, int sequence)
    {
        if (poolingRegion.Check() is { } regionError) throw new ArgumentException($"Pooling region: {regionError}.", nameof(poolingRegion));
        if (year is < 1990 or > 9999) throw new ArgumentOutOfRangeException(nameof(year), year, "Year must be 1990..9999.");
        if (sequence is < 1 or > MaxSequence) throw new ArgumentOutOfRangeException(nameof(sequence), sequence, $"Sequence must be 1..{MaxSequence}.");
        return new DocumentNumber($"{poolingRegion.Value[..2]}{poolingRegion.Value}{year:0000}{sequence:00000}");
    }

    public ProvinceCode Province => new(Valid()[..2]);
    public DivisionCode PoolingRegion => new(Valid()[2..8]);
    public int Year => int.Parse(Valid()[8..12]);
    public int Sequence => int.Parse(Valid()[12..]);

    /// <summary>Null when valid, otherwise why not.</summary>
    public string? Check()
    {
        if (string.IsNullOrEmpty(Value)) return "required";
        if (Value.Length != Length || !Value.All(char.IsAsciiDigit))
            return "must be 17 digits: province (2), pooling region (6), year (4), sequence (5)";
        if (new DivisionCode(Value[2..8]).Check() is { } regionError) return $"pooling region: {regionError}";
        if (Value[..2] != Value[2..4]) return "the province digits do not match the pooling region";
        var year = int.Parse(Value[8..12]);
        if (year < 1990) return "year before 1990";
        return Value[12..] == "00000" ? "sequence must start at 1" : null;
    }

    public static bool TryParse(string? text, out DocumentNumber value, out string? error)
    {
        var candidate = new DocumentNumber(text?.Trim() ?? "");
        error = candidate.Check();
        value = error is null ? candidate : default;
        return error is null;
    }

    public static DocumentNumber Parse(string text) =>
        TryParse(text, out var value, out var error) ? value : throw new FormatException($"Document number: {error}.");

    /// <summary>The printed form, e.g. "51 510600 2024 第00042号".</summary>
    public string ToDisplayString() => $"{Value[..2]} {Value[2..8]} {Value[8..12]} 第{Value[12..]}号";

    public override string ToString() => Value ?? "";

    private string Valid() => Check() is null ? Value : throw new InvalidOperationException($"Invalid document number '{Value}'.");
}
