using System.Globalization;
using Gateway.Contracts.Ops.V1;
using Google.Protobuf.WellKnownTypes;

namespace Gateway.Ops.Console;

/// <summary>A name in Chinese and English, shown as "联系函 contact letter".</summary>
public readonly record struct Label(string Zh, string En)
{
    public override string ToString() => Zh.Length == 0 ? En : $"{Zh} {En}";
}

/// <summary>Every code the node returns, named in Chinese and English; an unknown code is shown as it came.</summary>
public static class Labels
{
    public static readonly TimeSpan BeijingOffset = TimeSpan.FromHours(8);
    public const string BeijingZone = "北京时间 Beijing time (Asia/Shanghai, UTC+8)";

    /// <summary>Conditions in the order the dashboard shows them, with their URL names (the CLI's names).</summary>
    public static readonly IReadOnlyList<(Condition Condition, string Slug, Label Label)> Conditions =
    [
        (Condition.Overdue, "overdue", new("逾期", "overdue")),
        (Condition.WaitingOnProvinceSystem, "waiting-on-system", new("等待本省经办系统", "waiting on this province's system")),
        (Condition.WaitingOnCounterpart, "waiting-on-counterpart", new("等待对方省回执", "waiting on the other province")),
        (Condition.Held, "held", new("挂起待处理", "held")),
        (Condition.Returned, "returned", new("已退回", "returned")),
        (Condition.Failed, "failed", new("发送失败", "failed")),
    ];

    public static Label Of(Condition c) =>
        Conditions.FirstOrDefault(x => x.Condition == c) is { Slug: not null } found ? found.Label : new("", c.ToString());

    public static string Slug(Condition c) => Conditions.First(x => x.Condition == c).Slug;

    private static readonly Dictionary<string, Label> MessageTypes = new(StringComparer.Ordinal)
    {
        ["ContactLetterSent"] = new("联系函", "contact letter"),
        ["LetterReturned"] = new("联系函退回", "letter returned"),
        ["InformationTableSent"] = new("参保信息表及个人账户余额", "information table and balance"),
        ["TransferCompleted"] = new("转入办结通知", "transfer completed"),
        ["WithdrawalRequested"] = new("撤回申请", "withdrawal request"),
        ["WithdrawalAnswered"] = new("撤回答复", "withdrawal answer"),
        ["Receipt"] = new("回执", "receipt"),
        ["FilingChanged"] = new("异地就医备案变更", "filing change"),
        ["EnrolmentChanged"] = new("参保状态变更", "enrolment change"),
        ["DuplicateEnrolmentFound"] = new("重复参保通知", "duplicate enrolment found"),
        ["EnrolmentQuery"] = new("参保状态查询", "enrolment query"),
        ["EnrolmentQueryAnswered"] = new("参保状态查询答复", "enrolment query answer"),
        ["BackfillRequested"] = new("补传请求", "backfill request"),
        ["BackfillPage"] = new("补传数据页", "backfill page"),
    };

    public static Label MessageType(string type) => MessageTypes.TryGetValue(type, out var l) ? l : new("", type);

    public static Label Status(MessageStatus s) => s switch
    {
        MessageStatus.Ready => new("就绪", "ready"),
        MessageStatus.Sent => new("已发送", "sent"),
        MessageStatus.WaitingForReceipt => new("等待回执", "waiting for receipt"),
        MessageStatus.Acknowledged => new("已确认", "acknowledged"),
        MessageStatus.AttemptFailed => new("本次发送失败", "attempt failed"),
        MessageStatus.WaitingForRetry => new("等待重试", "waiting for retry"),
        MessageStatus.FailedStatus => new("失败", "failed"),
        MessageStatus.Received => new("已接收", "received"),
        MessageStatus.DeadLettered => new("死信", "dead-lettered"),
        _ => new("", s.ToString()),
    };

    private static readonly Dictionary<string, Label> States = new(StringComparer.Ordinal)
    {
        ["Accepted"] = new("已受理", "accepted"),
        ["LetterSent"] = new("联系函已发出", "letter sent"),
        ["WithdrawalRequested"] = new("已申请撤回", "withdrawal requested"),
        ["LetterReturned"] = new("联系函已退回", "letter returned"),
        ["InfoTableSent"] = new("信息表已发出", "information table sent"),
        ["Completed"] = new("转入已办结", "completed"),
        ["Acknowledged"] = new("转出地已确认办结", "acknowledged"),
        ["Withdrawn"] = new("已撤回", "withdrawn"),
        ["Held"] = new("挂起", "held"),
        ["ExchangeFailed"] = new("交换失败", "exchange failed"),
        ["Origin"] = new("转出地", "origin"),
        ["Destination"] = new("转入地", "destination"),
    };

    /// <summary>Transfer states, roles and timeline events (stored as their C# names).</summary>
    public static Label State(string state) => States.TryGetValue(state, out var l) ? l : new("", state);

    private static readonly Dictionary<string, Label> Steps = new(StringComparer.Ordinal)
    {
        ["LETTER"] = new("出具联系函", "contact letter"),
        ["INFO_TABLE"] = new("出具参保信息表", "information table"),
        ["BALANCE"] = new("转移个人账户余额", "balance"),
        ["COMPLETION"] = new("转入办结", "completion"),
        ["OVERALL"] = new("全程", "overall"),
    };

    public static readonly IReadOnlyList<string> StepCodes = [.. Steps.Keys];

    public static Label Step(string step) => Steps.TryGetValue(step, out var l) ? l : new("", step);

    private static readonly Dictionary<string, Label> WorkItemKinds = new(StringComparer.Ordinal)
    {
        ["CHECK_ORIGIN_ENROLMENT"] = new("核查转出地参保状态", "check origin enrolment"),
        ["CheckOriginEnrolment"] = new("核查转出地参保状态", "check origin enrolment"),
        ["BUILD_INFORMATION_TABLE"] = new("生成信息表并扣减", "build information table (debit)"),
        ["BuildInformationTable"] = new("生成信息表并扣减", "build information table (debit)"),
        ["CREDIT_BALANCE"] = new("记入个人账户余额", "credit balance"),
        ["CreditBalance"] = new("记入个人账户余额", "credit balance"),
        ["CLOSE_ORIGIN_RECORD"] = new("终止转出地参保关系", "close origin record"),
        ["CloseOriginRecord"] = new("终止转出地参保关系", "close origin record"),
        ["LETTER_RETURNED"] = new("联系函退回通知", "letter returned notice"),
        ["LetterReturned"] = new("联系函退回通知", "letter returned notice"),
        ["DUPLICATE_ENROLMENT"] = new("重复参保处理", "duplicate enrolment"),
        ["DuplicateEnrolment"] = new("重复参保处理", "duplicate enrolment"),
        ["pending"] = new("待处理", "pending"),
        ["answered"] = new("已答复", "answered"),
        ["cancelled"] = new("已取消", "cancelled"),
    };

    public static Label WorkItem(string kindOrStatus)
    {
        var key = kindOrStatus.StartsWith("WORK_ITEM_KIND_", StringComparison.Ordinal) ? kindOrStatus["WORK_ITEM_KIND_".Length..] : kindOrStatus;
        return WorkItemKinds.TryGetValue(key, out var l) ? l : new("", kindOrStatus);
    }

    private static readonly Dictionary<string, string> Provinces = new(StringComparer.Ordinal)
    {
        ["11"] = "北京", ["12"] = "天津", ["13"] = "河北", ["14"] = "山西", ["15"] = "内蒙古", ["21"] = "辽宁", ["22"] = "吉林",
        ["23"] = "黑龙江", ["31"] = "上海", ["32"] = "江苏", ["33"] = "浙江", ["34"] = "安徽", ["35"] = "福建", ["36"] = "江西",
        ["37"] = "山东", ["41"] = "河南", ["42"] = "湖北", ["43"] = "湖南", ["44"] = "广东", ["45"] = "广西", ["46"] = "海南",
        ["50"] = "重庆", ["51"] = "四川", ["52"] = "贵州", ["53"] = "云南", ["54"] = "西藏", ["61"] = "陕西", ["62"] = "甘肃",
        ["63"] = "青海", ["64"] = "宁夏", ["65"] = "新疆", ["66"] = "新疆生产建设兵团",
    };

    public static IEnumerable<string> ProvinceCodes => Provinces.Keys;

    public static bool IsProvince(string code) => Provinces.ContainsKey(code);

    public static string Province(string code) =>
        string.IsNullOrEmpty(code) ? "" : Provinces.TryGetValue(code, out var name) ? $"{code} {name}" : code;

    /// <summary>A moment in Beijing time (China keeps UTC+8 all year).</summary>
    public static string Time(Timestamp? at) =>
        at is null || (at.Seconds == 0 && at.Nanos == 0) ? "" : at.ToDateTimeOffset().ToOffset(BeijingOffset).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset at) => at.ToOffset(BeijingOffset).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
