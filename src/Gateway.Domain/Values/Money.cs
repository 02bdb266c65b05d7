using System.Globalization;

namespace Gateway.Domain.Values;

/// <summary>An amount of money in integer fen (分). Never floating point.</summary>
public readonly record struct Money(long Fen) : IComparable<Money>
{
    public static readonly Money Zero = new(0);

    /// <summary>Largest magnitude accepted by parsing and by <see cref="ToChineseCapitals"/>: below 10^16 yuan.</summary>
    public const long MaxFen = 999_999_999_999_999_999;

    public static Money FromFen(long fen) => new(fen);
    public static Money FromYuan(long yuan) => new(checked(yuan * 100));

    public bool IsNegative => Fen < 0;

    public static Money operator +(Money a, Money b) => new(checked(a.Fen + b.Fen));
    public static Money operator -(Money a, Money b) => new(checked(a.Fen - b.Fen));
    public static bool operator <(Money a, Money b) => a.Fen < b.Fen;
    public static bool operator >(Money a, Money b) => a.Fen > b.Fen;
    public static bool operator <=(Money a, Money b) => a.Fen <= b.Fen;
    public static bool operator >=(Money a, Money b) => a.Fen >= b.Fen;
    public int CompareTo(Money other) => Fen.CompareTo(other.Fen);

    /// <summary>
    /// Parses a yuan amount such as "12345.67", "12345.6", "12345" or "-0.05" exactly, digit by digit (no floating point).
    /// No thousands separators, currency signs or exponent; at most two decimals.
    /// </summary>
    public static bool TryParse(string? yuan, out Money value, out string? error)
    {
        value = default;
        var s = yuan?.Trim() ?? "";
        if (s.Length == 0) { error = "required"; return false; }

        var negative = s[0] == '-';
        if (negative) s = s[1..];
        var dot = s.IndexOf('.');
        var whole = dot < 0 ? s : s[..dot];
        var fraction = dot < 0 ? "" : s[(dot + 1)..];

        if (whole.Length == 0 || !whole.All(char.IsAsciiDigit) || !fraction.All(char.IsAsciiDigit) || (dot >= 0 && fraction.Length == 0))
        {
            error = "must be a yuan amount like 12345.67";
            return false;
        }
        if (fraction.Length > 2) { error = "at most two decimals (fen)"; return false; }

        long fen = 0;
        foreach (var c in whole.TrimStart('0'))
        {
            if (fen > MaxFen / 10) { error = "amount too large"; return false; }
            fen = fen * 10 + (c - '0');
        }
        if (fen > MaxFen / 100) { error = "amount too large"; return false; }
        fen = fen * 100 + (fraction.Length > 0 ? (fraction[0] - '0') * 10 : 0) + (fraction.Length > 1 ? fraction[1] - '0' : 0);

        value = new Money(negative ? -fen : fen);
        error = null;
        return true;
    }

    public static Money Parse(string yuan) =>
        TryParse(yuan, out var value, out var error) ? value : throw new FormatException($"Amount '{yuan}': {error}.");

    /// <summary>The amount in Chinese financial capitals (大写), e.g. 壹万贰仟叁佰肆拾伍元陆角柒分; conventions on <see cref="ChineseCapitals"/>.</summary>
    public string ToChineseCapitals() => ChineseCapitals.Render(Fen);

    /// <summary>Yuan with two decimals, e.g. "12345.67", "-0.05".</summary>
    public override string ToString()
    {
        var magnitude = Fen == long.MinValue ? (ulong)long.MaxValue + 1 : (ulong)Math.Abs(Fen);
        return string.Create(CultureInfo.InvariantCulture, $"{(Fen < 0 ? "-" : "")}{magnitude / 100}.{magnitude % 100:00}");
    }
}
