using System.Globalization;
using System.Text;
using Gateway.Contracts.Ops.V1;
using Gateway.Node.Application;
using Gateway.Storage;
using Google.Protobuf.WellKnownTypes;

namespace Gateway.Node.Ops;

/// <summary>Reason codes of refused operator actions (FAILED_PRECONDITION, ErrorInfo.reason).</summary>
public static class OpsReasons
{
    public const string NotFailed = "ENVELOPE_NOT_FAILED";
    public const string NeverRerun = "DEAD_LETTER_NEVER_RERUN";
    public const string Unreadable = "DEAD_LETTER_UNREADABLE";
    public const string AlreadyNeverRerun = "DEAD_LETTER_ALREADY_NEVER_RERUN";
    public const string WorkItemNotPending = "WORK_ITEM_NOT_PENDING";
    public const string NotHeld = "TRANSFER_NOT_HELD";
    public const string HoldChanged = "HOLD_CHANGED";
    public const string NothingToRelease = "NOTHING_TO_RELEASE";
    public const string ExchangeEnded = "EXCHANGE_ALREADY_ENDED";
    public const string MoneyMayHaveMoved = "MONEY_MAY_HAVE_MOVED";
    public const string CancelPending = "CANCEL_ALREADY_PENDING";
    public const string NothingToResend = "NOTHING_TO_RESEND";
    public const string ResendRangeTooLarge = "RESEND_RANGE_TOO_LARGE";
    public const string ResendJobDone = "RESEND_JOB_DONE";
    public const string ResendJobNotRunning = "RESEND_JOB_NOT_RUNNING";
    public const string ResendJobNotStopped = "RESEND_JOB_NOT_STOPPED";
}

/// <summary>Bounds shared by the operators' calls: reason, operator, page sizes, page tokens, time ranges.</summary>
public static class OpsInput
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;
    public const int MaxReasonLength = 500;
    /// <summary>Items a bulk action touches per call; "more" says when to call again.</summary>
    public const int MaxBulk = 1000;

    public static void RequireActor(string @operator, string reason, List<(string, string)> violations)
    {
        if (string.IsNullOrWhiteSpace(@operator)) violations.Add(("operator", "Name the operator acting."));
        if (string.IsNullOrWhiteSpace(reason)) violations.Add(("reason", "Say why (1 to 500 characters)."));
        else if (reason.Length > MaxReasonLength) violations.Add(("reason", $"At most {MaxReasonLength} characters."));
    }

    public static void TransferId(string id, List<(string, string)> violations)
    {
        if (string.IsNullOrWhiteSpace(id)) violations.Add(("transfer_id", "Name the transfer."));
        else if (id.Length > 64 || id.Any(char.IsControl)) violations.Add(("transfer_id", "At most 64 characters, no control characters."));
    }

    public static void ThrowIfAny(List<(string, string)> violations)
    {
        if (violations.Count > 0) throw new InvalidRequestException(violations);
    }

    public static int PageSize(int requested, List<(string, string)> violations, string field = "page_size")
    {
        if (requested is < 0 or > MaxPageSize) violations.Add((field, $"Between 1 and {MaxPageSize} (0 means {DefaultPageSize})."));
        return requested == 0 ? DefaultPageSize : Math.Clamp(requested, 1, MaxPageSize);
    }

    public static (DateTimeOffset? From, DateTimeOffset? To) Range(TimeRange? range, string field, bool required, List<(string, string)> violations)
    {
        var from = Instant(range?.From, $"{field}.from", violations);
        var to = Instant(range?.To, $"{field}.to", violations);
        if (required && (from is null || to is null)) violations.Add((field, "Give both from and to."));
        if (from is not null && to is not null && from >= to) violations.Add((field, "from must be before to."));
        return (from, to);
    }

    /// <summary>
    /// A timestamp a caller sent, or null when absent or not a time (nanos outside 0..999,999,999, seconds outside years
    /// 1..9999): Timestamp.ToDateTimeOffset throws on those, which would surface as INTERNAL.
    /// </summary>
    private static DateTimeOffset? Instant(Timestamp? t, string field, List<(string, string)> violations)
    {
        if (t is null) return null;
        if (t.Nanos is >= 0 and <= 999_999_999 && t.Seconds is >= -62_135_596_800 and <= 253_402_300_799) return t.ToDateTimeOffset();
        violations.Add((field, "Not a valid timestamp (seconds within years 1 to 9999, nanos 0 to 999,999,999)."));
        return null;
    }

    public static string? Province(string code, string field, List<(string, string)> violations)
    {
        if (string.IsNullOrEmpty(code)) return null;
        if (!new Gateway.Domain.Values.ProvinceCode(code).IsKnown) violations.Add((field, "Not a known two-digit province code."));
        return code;
    }

    /// <summary>Opaque token: the list's own tag, the last row's time and key.</summary>
    public static string Token(string tag, OpsCursor? cursor) => cursor is null ? "" :
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{tag}|{cursor.At.UtcTicks.ToString(CultureInfo.InvariantCulture)}|{cursor.Key}"));

    /// <param name="numericKey">The list's key is a row id: a token whose key is not a number is refused here, not by the database.</param>
    public static OpsCursor? Cursor(string token, string tag, List<(string, string)> violations, string field = "page_token", bool numericKey = false)
    {
        if (string.IsNullOrEmpty(token)) return null;
        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split('|', 3);
            if (parts.Length == 3 && parts[0] == tag && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks is >= 0 and <= 3155378975999999999
                && (!numericKey || long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                return new OpsCursor(new DateTimeOffset(ticks, TimeSpan.Zero), parts[2]);
        }
        catch (FormatException) { }
        violations.Add((field, "Not a token this list returned (a token is valid only for the same condition)."));
        return null;
    }

    public static Timestamp Time(DateTimeOffset at) => Timestamp.FromDateTimeOffset(at);
}
