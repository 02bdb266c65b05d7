using System.CommandLine;
using System.Globalization;
using Gateway.Contracts.Ops.V1;
using Google.Protobuf.WellKnownTypes;

namespace Gateway.Ops.Cli;

/// <summary>Option shapes shared by several commands.</summary>
internal static class CliOptions
{
    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);

    /// <summary>ISO 8601 time; without an offset it is Beijing time, like everything the CLI shows.</summary>
    public static Option<DateTimeOffset?> Time(string name, string description, bool required = false) => new(name)
    {
        Description = description + " ISO 8601; without an offset, Beijing time (e.g. 2026-03-01 or 2026-03-01T08:00+08:00).",
        Required = required,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var withOffset) && HasOffset(text))
                return withOffset;
            if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
                return new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), Beijing);
            result.AddError($"{name}: '{text}' is not a date or time.");
            return null;
        },
    };

    private static bool HasOffset(string text) =>
        text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 10 && (text[10..].Contains('+') || text[10..].LastIndexOf('-') > 0));

    public static TimeRange? Range(DateTimeOffset? from, DateTimeOffset? to) => from is null && to is null ? null : new TimeRange
    {
        From = from is { } f ? Timestamp.FromDateTimeOffset(f) : null,
        To = to is { } t ? Timestamp.FromDateTimeOffset(t) : null,
    };

    public static Option<int> PageSize() => new("--page-size") { Description = "Entries per page, 1..500 (0: the node's default, 50)." };

    public static Option<string?> PageToken() => new("--page-token") { Description = "The token a previous page printed, to read the next one." };

    public static Option<string?> Counterpart() => new("--counterpart") { Description = "Two-digit code of the other province (e.g. 15)." };

    public static readonly IReadOnlyDictionary<string, Condition> Conditions = new Dictionary<string, Condition>
    {
        ["overdue"] = Condition.Overdue,
        ["waiting-on-system"] = Condition.WaitingOnProvinceSystem,
        ["waiting-on-counterpart"] = Condition.WaitingOnCounterpart,
        ["held"] = Condition.Held,
        ["returned"] = Condition.Returned,
        ["failed"] = Condition.Failed,
    };
}
