namespace Gateway.Domain.Values;

/// <summary>The kinds of personal data the exchange carries.</summary>
public enum PersonalDataKind
{
    IdentityNumber,
    Name,
    Phone,
    Address,
    BankAccount,
}

/// <summary>
/// The one masking rule for personal data shown anywhere outside its own record: log lines, error texts, operator
/// screens, the demo's output. Enough stays visible to tell two people apart when talking to the province
/// (region and last four of an identity number, a surname, a phone's prefix and last four); never enough to use.
/// </summary>
public static class PersonalData
{
    public static string Mask(PersonalDataKind kind, string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        var text = new System.Globalization.StringInfo(value); // by text element: a surname may be outside the BMP
        var n = text.LengthInTextElements;
        string Keep(int head, int tail) => n <= head + tail
            ? new string('*', n)
            : text.SubstringByTextElements(0, head) + new string('*', n - head - tail) + (tail == 0 ? "" : text.SubstringByTextElements(n - tail));
        return kind switch
        {
            PersonalDataKind.IdentityNumber => n <= 8 ? new string('*', n) : Keep(4, 4),
            PersonalDataKind.Name => n == 1 ? "*" : Keep(1, 0),
            PersonalDataKind.Phone => n <= 7 ? new string('*', n) : Keep(3, 4),
            PersonalDataKind.Address => n <= 6 ? new string('*', n) : text.SubstringByTextElements(0, 6) + "***",
            PersonalDataKind.BankAccount => n <= 4 ? new string('*', n) : "****" + text.SubstringByTextElements(n - 4),
            _ => new string('*', n),
        };
    }
}
