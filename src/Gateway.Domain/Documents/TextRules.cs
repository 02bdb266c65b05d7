namespace Gateway.Domain.Documents;

/// <summary>Shape checks for the free-text fields the forms carry. Each returns null when fine, otherwise why not.</summary>
public static class TextRules
{
    public const int MaxNameLength = 100;
    public const int MaxTextLength = 200;
    public const int MaxRemarksLength = 500;

    public static string? CheckText(string? text, bool required, int maxLength = MaxTextLength)
    {
        if (string.IsNullOrWhiteSpace(text)) return required ? "required" : null;
        return text.Trim().Length > maxLength ? $"at most {maxLength} characters" : null;
    }

    /// <summary>Mobile or landline: an optional leading '+', then 7..20 digits, with '-', spaces or parentheses between them.</summary>
    public static string? CheckPhone(string? text, bool required)
    {
        if (string.IsNullOrWhiteSpace(text)) return required ? "required" : null;
        var s = text.Trim();
        if (s[0] == '+') s = s[1..];
        var digits = 0;
        foreach (var c in s)
        {
            if (char.IsAsciiDigit(c)) digits++;
            else if (c is not '-' and not ' ' and not '(' and not ')') return "not a phone number";
        }
        return digits is >= 7 and <= 20 ? null : "a phone number has 7 to 20 digits";
    }

    /// <summary>Chinese postcode: 6 digits.</summary>
    public static string? CheckPostcode(string? text, bool required)
    {
        if (string.IsNullOrWhiteSpace(text)) return required ? "required" : null;
        var s = text.Trim();
        return s.Length == 6 && s.All(char.IsAsciiDigit) ? null : "a postcode is 6 digits";
    }

    /// <summary>Bank code (开户银行行号, CNAPS): 12 digits.</summary>
    public static string? CheckBankCode(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "required";
        var s = text.Trim();
        return s.Length == 12 && s.All(char.IsAsciiDigit) ? null : "a bank code (行号) is 12 digits";
    }

    /// <summary>Bank account number: 6..34 digits.</summary>
    public static string? CheckAccountNumber(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "required";
        var s = text.Trim();
        return s.Length is >= 6 and <= 34 && s.All(char.IsAsciiDigit) ? null : "an account number is 6 to 34 digits";
    }
}
