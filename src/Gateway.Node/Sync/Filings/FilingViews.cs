using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Documents;
using Gateway.Storage;
using Timestamp = Google.Protobuf.WellKnownTypes.Timestamp;

namespace Gateway.Node.Sync.Filings;

/// <summary>Rows as the API shows them, and the enum names the table keeps.</summary>
public static class FilingViews
{
    public static FilingView View(FilingRow row, string self) => new()
    {
        Filing = Filing.Parser.ParseFrom(row.Document),
        OwnerProvince = row.OwnerProvince,
        Version = row.Version,
        Status = Enum.TryParse<CareFilingStatus>(row.Status, out var s) ? (FilingStatus)s : FilingStatus.Unspecified,
        LastAction = Enum.TryParse<CareFilingAction>(row.LastAction, out var a) ? (FilingAction)a : FilingAction.Unspecified,
        LastReason = row.LastReason ?? "",
        UpdatedAt = Timestamp.FromDateTimeOffset(row.UpdatedAt),
        Scope = row.OwnerProvince == self ? FilingScope.Owned : FilingScope.Held,
        DeliveredTo = row.DeliveredTo ?? "",
    };

    /// <summary>The table's status name for an API filter value (already checked to be defined and set).</summary>
    public static string StatusName(FilingStatus status) => ((CareFilingStatus)status).ToString();

    public static string CategoryName(FilingCategory category) => ((CareFilingCategory)category).ToString();

    public static CareFilingStatus StatusOf(FilingRow row) => Enum.Parse<CareFilingStatus>(row.Status);

    public static string Iso(DateOnly day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    public static DateOnly? ParseDate(string? text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var d)
            ? d : null;
}
