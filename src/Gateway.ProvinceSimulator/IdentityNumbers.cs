namespace Gateway.ProvinceSimulator;

/// <summary>
/// 18-character resident identity numbers (GB 11643): region code, birth date, sequence
/// (odd for men), ISO 7064 MOD 11-2 check character. Kept here so the simulator does not
/// depend on the domain's value types while those are being built.
/// </summary>
public static class IdentityNumbers
{
    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private const string CheckChars = "10X98765432";

    public static string Compose(string regionCode, DateOnly birthDate, int sequence)
    {
        if (regionCode is not { Length: 6 } || !regionCode.All(char.IsAsciiDigit))
            throw new ArgumentException("Region code must be 6 digits.", nameof(regionCode));
        if (sequence is < 0 or > 999) throw new ArgumentOutOfRangeException(nameof(sequence));
        var body = $"{regionCode}{birthDate:yyyyMMdd}{sequence:000}";
        return body + CheckChar(body);
    }

    /// <summary>The check character for the first 17 digits.</summary>
    public static char CheckChar(ReadOnlySpan<char> first17)
    {
        if (first17.Length != 17) throw new ArgumentException("Need the first 17 characters.", nameof(first17));
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            if (!char.IsAsciiDigit(first17[i])) throw new ArgumentException("Digits only.", nameof(first17));
            sum += (first17[i] - '0') * Weights[i];
        }
        return CheckChars[sum % 11];
    }

    public static bool IsValid(string? number) =>
        number is { Length: 18 }
        && !number.AsSpan(0, 17).ContainsAnyExceptInRange('0', '9')
        && CheckChar(number.AsSpan(0, 17)) == char.ToUpperInvariant(number[17]);
}
