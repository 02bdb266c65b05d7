using System.Globalization;

namespace Gateway.Domain.Values;

/// <summary>
/// An identity-document number with its type. For the resident identity card (and the 港澳台居民居住证, same format) the number
/// is the 18-character GB 11643 citizen number: 6-digit region, 8-digit birth date, 3-digit sequence (odd = male),
/// ISO 7064 MOD 11-2 check character ('X' = 10). Other document types are accepted on their type with a light shape check.
/// </summary>
/// <remarks>The positional constructor does not validate (documents hold unchecked input); call <see cref="Check"/> or a parse method.</remarks>
public readonly record struct IdentityNumber(CertificateDocumentType DocumentType, string Value)
{
    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private const string CheckCharacters = "10X98765432";
    private const int MaxOtherLength = 40;

    // GB/T 2260 province prefixes a citizen number can start with (71 Taiwan, 81/82 Hong Kong/Macao included).
    private static readonly HashSet<string> CitizenRegionPrefixes =
    [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
    ];

    // 港澳台居民居住证 numbers start 810000 / 820000 / 830000.
    private static readonly HashSet<string> HkMacaoTaiwanPrefixes = ["810000", "820000", "830000"];

    /// <summary>True for types whose number carries the GB 11643 structure and check character.</summary>
    public bool IsChecksummed => DocumentType is CertificateDocumentType.ResidentIdentityCard or CertificateDocumentType.HkMacaoTaiwanResidencePermit;

    /// <summary>The 6-digit region of registration, for checksummed types with a well-formed number.</summary>
    public string? RegionPrefix => HasCitizenShape ? Value[..6] : null;

    /// <summary>Birth date carried by a checksummed number, if it is a real date.</summary>
    public DateOnly? BirthDate => HasCitizenShape && TryBirthDate(Value, out var date) ? date : null;

    /// <summary>Sex carried by a checksummed number (17th digit odd = male).</summary>
    public Gender? Gender => HasCitizenShape ? ((Value[16] - '0') % 2 == 1 ? Values.Gender.Male : Values.Gender.Female) : null;

    /// <summary>Age in whole years on <paramref name="on"/>, when the birth date is known.</summary>
    public int? AgeOn(DateOnly on)
    {
        if (BirthDate is not { } birth) return null;
        var age = on.Year - birth.Year;
        if (on < birth.AddYears(age)) age--;
        return age;
    }

    /// <summary>For logs and screens: <see cref="PersonalData.Mask"/> (region and last four characters kept).</summary>
    public string ToMaskedString() => PersonalData.Mask(PersonalDataKind.IdentityNumber, Value);

    public override string ToString() => Value ?? "";

    /// <summary>Null when valid, otherwise why not. With <paramref name="asOf"/>, a birth date after it is refused.</summary>
    public string? Check(DateOnly? asOf = null)
    {
        if (!CertificateDocumentTypes.IsDefined(DocumentType)) return $"unknown document type {(int)DocumentType}";
        if (string.IsNullOrWhiteSpace(Value)) return "required";
        return IsChecksummed ? CheckCitizenNumber(asOf) : CheckOtherNumber();
    }

    /// <summary>Parses an 18-character resident identity number.</summary>
    public static bool TryParse(string? text, out IdentityNumber value, out string? error) =>
        TryParse(CertificateDocumentType.ResidentIdentityCard, text, null, out value, out error);

    /// <summary>Parses an 18-character resident identity number whose birth date must not be after <paramref name="asOf"/>.</summary>
    public static bool TryParse(string? text, DateOnly asOf, out IdentityNumber value, out string? error) =>
        TryParse(CertificateDocumentType.ResidentIdentityCard, text, asOf, out value, out error);

    /// <summary>Parses a number of the given document type; a lower-case 'x' check character is normalised.</summary>
    public static bool TryParse(CertificateDocumentType type, string? text, DateOnly? asOf, out IdentityNumber value, out string? error)
    {
        var trimmed = text?.Trim() ?? "";
        var candidate = new IdentityNumber(type, type is CertificateDocumentType.ResidentIdentityCard or CertificateDocumentType.HkMacaoTaiwanResidencePermit
            ? trimmed.ToUpperInvariant()
            : trimmed);
        error = candidate.Check(asOf);
        value = error is null ? candidate : default;
        return error is null;
    }

    public static IdentityNumber Parse(string text) => Parse(CertificateDocumentType.ResidentIdentityCard, text);

    public static IdentityNumber Parse(CertificateDocumentType type, string text, DateOnly? asOf = null) =>
        TryParse(type, text, asOf, out var value, out var error) ? value : throw new FormatException($"Identity number: {error}.");

    /// <summary>The ISO 7064 MOD 11-2 check character for the first 17 digits.</summary>
    public static char ComputeCheckCharacter(ReadOnlySpan<char> first17)
    {
        if (first17.Length != 17) throw new ArgumentException("Need exactly 17 digits.", nameof(first17));
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            if (!char.IsAsciiDigit(first17[i])) throw new ArgumentException("Need exactly 17 digits.", nameof(first17));
            sum += (first17[i] - '0') * Weights[i];
        }
        return CheckCharacters[sum % 11];
    }

    private bool HasCitizenShape =>
        IsChecksummed && Value is { Length: 18 } && Value.AsSpan(0, 17).IndexOfAnyExceptInRange('0', '9') < 0;

    private string? CheckCitizenNumber(DateOnly? asOf)
    {
        if (Value.Length != 18) return "must be 18 characters";
        if (!HasCitizenShape) return "the first 17 characters must be digits";
        var last = Value[17];
        if (!char.IsAsciiDigit(last) && last != 'X') return "the check character must be a digit or X";

        var prefixOk = DocumentType == CertificateDocumentType.HkMacaoTaiwanResidencePermit
            ? HkMacaoTaiwanPrefixes.Contains(Value[..6])
            : CitizenRegionPrefixes.Contains(Value[..2]);
        if (!prefixOk) return $"region prefix {Value[..6]} is not valid for this document type";

        if (!TryBirthDate(Value, out var birth)) return "birth date is not a real date";
        if (asOf is { } day && birth > day) return $"birth date {birth:yyyy-MM-dd} is after {day:yyyy-MM-dd}";

        return ComputeCheckCharacter(Value.AsSpan(0, 17)) == last ? null : "check character does not match";
    }

    private string? CheckOtherNumber()
    {
        if (Value.Length > MaxOtherLength) return $"at most {MaxOtherLength} characters";
        foreach (var c in Value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '(' and not ')' and not '-')
                return "only letters, digits, '-' and parentheses are allowed";
        }
        return null;
    }

    private static bool TryBirthDate(string value, out DateOnly date) =>
        DateOnly.TryParseExact(value.AsSpan(6, 8), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
}
