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
    /// <summary>The origin never issued the certificate the letter carries.</summary>
    CertificateUnknown,
    /// <summary>The certificate already serves another transfer-out that is open or completed.</summary>
    CertificateAlreadyUsed,
    /// <summary>The application was accepted after the certificate's three months ran out (附表9 注意事项 3).</summary>
    CertificateExpired,
    /// <summary>The origin issued the person a newer certificate of the same insurance type; only the newest is live.</summary>
    CertificateSuperseded,
    /// <summary>The letter's destination agency is not in the province that sent it.</summary>
    SenderMismatch,
    /// <summary>An operator at the origin ended an exchange that was stuck before any money moved.</summary>
    CancelledByOperator,
    Other,
}

public static class ReturnReasons
{
    private static readonly Dictionary<ReturnReason, string> Codes = new()
    {
        [ReturnReason.PersonNotSuspended] = "PERSON_NOT_SUSPENDED",
        [ReturnReason.PersonUnknown] = "PERSON_UNKNOWN",
        [ReturnReason.DocumentsInconsistent] = "DOCUMENTS_INCONSISTENT",
        [ReturnReason.CertificateUnknown] = "CERTIFICATE_UNKNOWN",
        [ReturnReason.CertificateAlreadyUsed] = "CERTIFICATE_ALREADY_USED",
        [ReturnReason.CertificateExpired] = "CERTIFICATE_EXPIRED",
        [ReturnReason.CertificateSuperseded] = "CERTIFICATE_SUPERSEDED",
        [ReturnReason.SenderMismatch] = "SENDER_MISMATCH",
        [ReturnReason.CancelledByOperator] = "CANCELLED_BY_OPERATOR",
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
