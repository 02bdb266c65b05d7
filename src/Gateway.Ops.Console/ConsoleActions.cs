using Gateway.Contracts.Ops.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Gateway.Ops.Console;

public enum FieldKind { Text, Id, Province, Time }

/// <summary>One input of an action besides the reason and the operator, which every action has.</summary>
/// <param name="EndOfDay">A plain date in this field means the end of that day (the "to" of a range).</param>
public sealed record ActionField(string Name, Label Label, FieldKind Kind, bool Required = true, bool EndOfDay = false);

/// <summary>
/// One operator action as the console offers it: a form (its fields, a reason, a confirmation) and the one gRPC call it
/// makes. Adding an action to the console is adding one descriptor to <see cref="ConsoleActions.All"/>.
/// </summary>
/// <param name="Name">URL name: /actions/{Name}.</param>
/// <param name="Explain">What pressing it does, shown on the confirmation form.</param>
public sealed record ConsoleAction(string Name, Label Label, string Explain, IReadOnlyList<ActionField> Fields,
    Func<OpsService.OpsServiceClient, ActionInput, CallOptions, Task<IMessage>> Call);

/// <summary>The validated values of one submitted action form.</summary>
public sealed class ActionInput(IReadOnlyDictionary<string, string> values, string @operator, string reason)
{
    public string Operator { get; } = @operator;
    public string Reason { get; } = reason;

    public string Text(string name) => values.GetValueOrDefault(name) ?? "";

    public long Long(string name) => long.Parse(Text(name), System.Globalization.CultureInfo.InvariantCulture);

    public Timestamp? Time(string name) => values.TryGetValue(name, out var v) && DateTimeOffset.TryParse(v, System.Globalization.CultureInfo.InvariantCulture,
        System.Globalization.DateTimeStyles.None, out var at) ? Timestamp.FromDateTimeOffset(at) : null;

    public TimeRange Range(string from, string to) => new() { From = Time(from), To = Time(to) };
}

public static class ConsoleActions
{
    private static readonly ActionField MessageId = new("message_id", new("报文编号", "message id"), FieldKind.Text);
    private static readonly ActionField DeadLetterId = new("dead_letter_id", new("死信编号", "dead letter id"), FieldKind.Id);
    private static readonly ActionField TransferId = new("transfer_id", new("转移编号", "transfer id"), FieldKind.Text);
    private static readonly ActionField JobId = new("job_id", new("任务编号", "job id"), FieldKind.Id);
    private static readonly ActionField From = new("from", new("起 from (北京时间)", "created at or after"), FieldKind.Time);
    private static readonly ActionField To = new("to", new("止 to (北京时间)", "before"), FieldKind.Time, EndOfDay: true);

    public static readonly IReadOnlyList<ConsoleAction> All =
    [
        new("resend", new("重新发送", "re-send"),
            "Re-queue this failed outbound envelope from the outbox; the relay sends it again with the same message id, so the counterpart applies it once.",
            [MessageId],
            async (ops, i, call) => await ops.ResendOutboundAsync(new ResendOutboundRequest { MessageId = i.Text("message_id"), Operator = i.Operator, Reason = i.Reason }, call)),
        new("resend-failed", new("批量重新发送", "re-send all failed"),
            "Re-queue every failed outbound envelope created in the range (for one counterpart, or all), up to 1,000 per press; press again while it says more.",
            [new("counterpart_province", new("对方省份", "counterpart province"), FieldKind.Province, Required: false), From, To],
            async (ops, i, call) => await ops.ResendFailedAsync(new ResendFailedRequest
            {
                CounterpartProvince = i.Text("counterpart_province"), Created = i.Range("from", "to"), Operator = i.Operator, Reason = i.Reason,
            }, call)),
        new("reapply", new("重新应用", "re-apply"),
            "Apply this dead-lettered inbound envelope again through the inbox (dedupe, handler, receipt). If it took effect before, nothing happens twice.",
            [DeadLetterId],
            async (ops, i, call) => await ops.ReapplyDeadLetterAsync(new ReapplyDeadLetterRequest { DeadLetterId = i.Long("dead_letter_id"), Operator = i.Operator, Reason = i.Reason }, call)),
        new("reapply-range", new("批量重新应用", "re-apply a range"),
            "Re-apply the dead letters first seen in the range (optionally by reason prefix and message type), up to 1,000 per press.",
            [From, To, new("reason_prefix", new("原因前缀", "reason prefix"), FieldKind.Text, Required: false),
             new("message_type", new("报文类型", "message type"), FieldKind.Text, Required: false)],
            async (ops, i, call) => await ops.ReapplyDeadLettersAsync(new ReapplyDeadLettersRequest
            {
                FirstSeen = i.Range("from", "to"), ReasonPrefix = i.Text("reason_prefix"), MessageType = i.Text("message_type"), Operator = i.Operator, Reason = i.Reason,
            }, call)),
        new("never-rerun", new("标记永不重跑", "mark never re-run"),
            "Mark this dead letter never to be re-run: bulk re-applies skip it and a single re-apply is refused.",
            [DeadLetterId],
            async (ops, i, call) => await ops.MarkNeverRerunAsync(new MarkNeverRerunRequest { DeadLetterId = i.Long("dead_letter_id"), Operator = i.Operator, Reason = i.Reason }, call)),
        new("redeliver", new("重新下发", "re-deliver"),
            "Send this pending work item to the province system again on its next stream poll.",
            [new("item_id", new("待办编号", "work item id"), FieldKind.Text)],
            async (ops, i, call) => await ops.RedeliverWorkItemAsync(new RedeliverWorkItemRequest { ItemId = i.Text("item_id"), Operator = i.Operator, Reason = i.Reason }, call)),
        new("release", new("解除挂起", "release hold"),
            "Once the province system's books are corrected: clear the hold and issue the work item behind it again, so the corrected answer takes the normal path (an answer conflict: the first answer stands).",
            [TransferId, new("hold_code", new("挂起代码", "hold code (AMOUNT_MISMATCH, INVALID_TABLE_AFTER_DEBIT, WORK_ITEM_ANSWER_CONFLICT)"), FieldKind.Text)],
            async (ops, i, call) => await ops.ReleaseHoldAsync(new ReleaseHoldRequest { TransferId = i.Text("transfer_id"), HoldCode = i.Text("hold_code"), Operator = i.Operator, Reason = i.Reason }, call)),
        new("cancel", new("撤销交换", "cancel exchange"),
            "End a stuck exchange where no money can have moved, telling the counterpart: the origin returns the letter (CANCELLED_BY_OPERATOR), the destination withdraws or asks the origin to confirm. Refused once money may have moved.",
            [TransferId],
            async (ops, i, call) => await ops.CancelExchangeAsync(new CancelExchangeRequest { TransferId = i.Text("transfer_id"), Operator = i.Operator, Reason = i.Reason }, call)),
        new("resend-job", new("限速批量重新发送", "paced re-send job"),
            "Start a job on the node that re-queues every failed envelope created in the range at a steady pace, so the counterpart's inbox is not flooded; it can be stopped and resumed.",
            [new("counterpart_province", new("对方省份", "counterpart province"), FieldKind.Province, Required: false), From, To,
             new("per_second", new("每秒条数", "envelopes per second (1..1000)"), FieldKind.Id)],
            async (ops, i, call) => await ops.StartResendJobAsync(new StartResendJobRequest
            {
                CounterpartProvince = i.Text("counterpart_province"), Created = i.Range("from", "to"),
                PerSecond = (int)Math.Min(int.MaxValue, i.Long("per_second")), Operator = i.Operator, Reason = i.Reason,
            }, call)),
        new("resend-job-stop", new("暂停批量重新发送", "stop re-send job"),
            "Stop a running re-send job; what it re-queued already goes on.",
            [JobId],
            async (ops, i, call) => await ops.StopResendJobAsync(new ResendJobActionRequest { JobId = i.Long("job_id"), Operator = i.Operator, Reason = i.Reason }, call)),
        new("resend-job-resume", new("继续批量重新发送", "resume re-send job"),
            "Resume a stopped re-send job where it left off.",
            [JobId],
            async (ops, i, call) => await ops.ResumeResendJobAsync(new ResendJobActionRequest { JobId = i.Long("job_id"), Operator = i.Operator, Reason = i.Reason }, call)),
    ];

    public static ConsoleAction? Find(string name) => All.FirstOrDefault(a => a.Name == name);

    /// <summary>A link to an action's confirmation form, its fields filled in.</summary>
    public static string Link(string name, string? transferId, params (string Key, string? Value)[] fields) =>
        $"/actions/{name}" + H.Query([.. fields, ("transfer", transferId)]);
}
