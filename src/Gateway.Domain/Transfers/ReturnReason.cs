namespace Gateway.Domain.Transfers;

/// <summary>Why the origin returned a contact letter. Wire codes are in <see cref="ReturnReasons"/>.</summary>
public enum ReturnReason
{
    /// <summary>The person is not suspended (中止参保) at the origin, which a transfer-out requires.</summary>
    PersonNotSuspended,
    /// <summary>The origin has no such insured person.</summary>
    PersonUnknown,
    /// <summary>Letter and records disagree (name, identity number, insurance type...).</summary>
    DocumentsInconsistent,
    Other,
}

public static class ReturnReasons
{
    private static readonly Dictionary<ReturnReason, string> Codes = new()
    {
        [ReturnReason.PersonNotSuspended] = "PERSON_NOT_SUSPENDED",
        [ReturnReason.PersonUnknown] = "PERSON_UNKNOWN",
        [ReturnReason.DocumentsInconsistent] = "DOCUMENTS_INCONSISTENT",
        [ReturnReason.Other] = "OTHER",
    };

    public static string Code(this ReturnReason reason) => Codes[reason];

    public static bool TryParse(string? code, out ReturnReason reason)
    {
        foreach (var (r, c) in Codes)
            if (string.Equals(c, code, StringComparison.Ordinal)) { reason = r; return true; }
        reason = default;
        return false;
    }

    public static ReturnReason Parse(string code) =>
        TryParse(code, out var r) ? r : throw new FormatException($"Unknown return reason code '{code}'.");
}
