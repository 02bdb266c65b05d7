namespace Gateway.Node.Sync.Filings;

/// <summary>Machine-readable reasons a filing call is refused (FAILED_PRECONDITION).</summary>
public static class FilingReasons
{
    public const string VersionConflict = "VERSION_CONFLICT";
    public const string IllegalLifecycleStep = "ILLEGAL_LIFECYCLE_STEP";
    public const string FilingExists = "FILING_EXISTS";
}

/// <summary>Codes a FilingChanged envelope is dead-lettered with when it acts outside its owner's authority.</summary>
public static class FilingTrustCodes
{
    /// <summary>The sender is not the owner the message names, or the filing is insured in another province.</summary>
    public const string SenderNotOwner = "SENDER_NOT_OWNER";

    /// <summary>An upsert for a filing whose destination is another province, or a removal of a filing never held here.</summary>
    public const string NotProvinceOfCare = "NOT_PROVINCE_OF_CARE";
}
