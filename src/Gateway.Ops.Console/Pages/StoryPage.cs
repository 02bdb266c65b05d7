using Gateway.Contracts.Ops.V1;
using Google.Protobuf.WellKnownTypes;

namespace Gateway.Ops.Console.Pages;

/// <summary>One exchange's whole story at this node, with the actions its envelopes and work items allow.</summary>
public static class StoryPage
{
    /// <summary>The navigation box: ?transfer_id=… → /exchange/{id}.</summary>
    public static IResult Find(HttpContext ctx)
    {
        var input = Input.Of(ctx.Request.Query, "transfer_id");
        var id = input.Required("transfer_id", Input.MaxIdLength, "transfer id");
        if (!input.Ok) return Layout.BadInput(ctx, input);
        return Results.Redirect("/exchange/" + Uri.EscapeDataString(id!));
    }

    public static Task<IResult> Show(HttpContext ctx, string transferId) => NodeErrors.Guard(ctx, async () =>
    {
        var input = Input.Of(ctx.Request.Query);
        var check = Input.Of(new QueryCollection(new Dictionary<string, Microsoft.Extensions.Primitives.StringValues> { ["id"] = transferId }), "id");
        var id = check.Required("id", Input.MaxIdLength, "transfer id");
        if (!input.Ok) return Layout.BadInput(ctx, input);
        if (!check.Ok) return Layout.BadInput(ctx, check);

        var node = ctx.RequestServices.GetRequiredService<NodeClient>();
        var story = await node.Ops.GetExchangeStoryAsync(new GetExchangeStoryRequest { TransferId = id }, node.Call(ctx.RequestAborted));
        var deadLetters = await DeadLetterIdsAsync(node, story, ctx.RequestAborted);

        var deadlines = H.Join(story.Deadlines, d => H.M($"""
            <tr class="{(d.Overdue ? "overdue-row" : "")}" data-step="{d.Step}"><td>{Labels.Step(d.Step).ToString()} ({d.Step})</td><td><time>{d.DueOn}</time></td>
            <td>{Labels.Province(d.GoverningProvince)}</td><td>{d.Calendar}</td>
            <td data-deadline="{(d.Met ? "met" : d.Overdue ? "overdue" : d.DoneOn.Length > 0 ? "late" : "open")}">{(d.Met ? H.M($"已按时完成 met ({d.DoneOn})")
                : d.Overdue ? H.M($"<strong class=\"err\">已逾期 overdue</strong>")
                : d.DoneOn.Length > 0 ? H.M($"<span class=\"err\">逾期完成 done late ({d.DoneOn})</span>") : H.M($"未到期 open"))}</td></tr>
            """));
        var envelopes = H.Join(story.Envelopes, e => H.M($"""
            <tr data-message="{e.MessageId}" data-status="{e.Status.ToString()}"><td>{(e.Direction == "sent" ? "发出 sent" : "收到 received")}</td>
            <td>{Labels.MessageType(e.MessageType).ToString()}<br><code>{e.MessageId}</code></td>
            <td><strong>{Labels.Status(e.Status).ToString()}</strong></td><td><time>{Labels.Time(e.At)}</time></td>
            <td>{Attempts(e)}</td><td><time>{Labels.Time(e.ReceiptAt)}</time></td><td class="err">{e.LastError}</td>
            <td>{EnvelopeActions(story.TransferId, e, deadLetters)}</td></tr>
            """));
        var items = H.Join(story.WorkItems, w => H.M($"""
            <tr data-work-item="{w.ItemId}"><td>{Labels.WorkItem(w.Kind).ToString()}<br><code>{w.ItemId}</code></td><td>{Labels.WorkItem(w.Status).ToString()}</td>
            <td><time>{Labels.Time(w.CreatedAt)}</time></td><td><time>{Labels.Time(w.AnsweredAt)}</time></td><td class="num">{w.DeliveryCount}</td>
            <td>{(w.Answer.Length > 0 ? $"{w.Answer.Length} bytes" : "")}</td>
            <td>{(w.Status == "pending" ? H.M($"<a class=\"act\" href=\"{ConsoleActions.Link("redeliver", story.TransferId, ("item_id", w.ItemId))}\">重新下发 re-deliver</a>") : Markup.Empty)}</td></tr>
            """));
        var events = H.Join(story.Events, ev => H.M($"""
            <tr class="ev-{ev.Kind}"><td><time>{Labels.Time(ev.At)}</time></td><td>{ev.Kind}</td><td>{EventWhat(ev)}</td><td>{ev.Detail}</td></tr>
            """));
        var overdue = story.Deadlines.Any(d => d.Overdue);
        return Layout.Page(ctx, $"交换经过 Exchange story · {story.TransferId}", H.M($"""
            <table class="kv">
              <tr><th>转移编号 transfer</th><td><code>{story.TransferId}</code></td></tr>
              <tr><th>本节点角色 role here</th><td>{Labels.State(story.Role).ToString()}</td></tr>
              <tr><th>状态 state</th><td id="state" data-state="{story.State}"><strong>{Labels.State(story.State).ToString()}</strong>{(overdue ? H.M($" <span class=\"err\">· 逾期 overdue</span>") : Markup.Empty)}</td></tr>
              <tr><th>对方省份 counterpart</th><td>{Labels.Province(story.CounterpartProvince)}</td></tr>
            </table>
            <p><a class="act" href="{ConsoleActions.Link("cancel", story.TransferId, ("transfer_id", story.TransferId))}">撤销交换 cancel exchange…</a>
               · <a class="act" href="{ConsoleActions.Link("release", story.TransferId, ("transfer_id", story.TransferId))}">解除挂起 release hold…</a></p>
            <section><h2>时限 Deadlines</h2>
            <table class="list"><thead><tr><th>环节 step</th><th>截止 due</th><th>依据省份规则 governing rule</th><th>日历 calendar</th><th>是否按时 met?</th></tr></thead><tbody>{deadlines}</tbody></table></section>
            <section><h2>报文 Envelopes</h2>
            <table class="list"><thead><tr><th>方向 direction</th><th>报文 message</th><th>状态 status</th><th>时间 at</th><th>发送尝试 attempts</th><th>回执 receipt</th><th>最近错误 last error</th><th>操作 actions</th></tr></thead><tbody>{envelopes}</tbody></table></section>
            <section><h2>本省经办待办 Work items</h2>
            <table class="list"><thead><tr><th>待办 item</th><th>状态 status</th><th>创建 created</th><th>答复 answered</th><th>下发次数 deliveries</th><th>答复内容 answer</th><th>操作 actions</th></tr></thead><tbody>{items}</tbody></table></section>
            <section><h2>操作记录 Operator actions</h2>{ReadPages.AuditTable(story.OperatorActions)}</section>
            <section><h2>时间线 Timeline</h2>
            <table class="list"><thead><tr><th>时间 at</th><th>类别 kind</th><th>事项 what</th><th>详情 detail</th></tr></thead><tbody>{events}</tbody></table></section>
            """));
    });

    private static Markup Attempts(EnvelopeStory e) => e.Attempts.Count == 0 ? Markup.Empty : H.M($"""
        <details><summary>{e.Attempts.Count} 次 attempts</summary><ol>{H.Join(e.Attempts, a => H.M($"<li>#{a.Number} <time>{Labels.Time(a.At)}</time> {a.Outcome}{(a.Error.Length > 0 ? " — " + a.Error : "")}</li>"))}</ol></details>
        """);

    private static Markup EnvelopeActions(string transferId, EnvelopeStory e, IReadOnlyDictionary<string, DeadLetterEntry> deadLetters)
    {
        if (e.Direction == "sent" && e.Status == MessageStatus.FailedStatus)
            return H.M($"<a class=\"act\" href=\"{ConsoleActions.Link("resend", transferId, ("message_id", e.MessageId))}\">重新发送 re-send</a>");
        if (e.Status == MessageStatus.DeadLettered && deadLetters.TryGetValue(e.MessageId, out var d))
            return H.M($"<span class=\"quiet\">死信 #{d.Id}</span> {ReadPages.DeadLetterActions(d)}");
        return Markup.Empty;
    }

    private static string EventWhat(StoryEvent ev)
    {
        // "sent ContactLetterSent", "dead-lettered TransferCompleted", "ContactLetterSent receipt": name the message type.
        var words = ev.What.Split(' ');
        var named = words.Select(w => Labels.MessageType(w) is { Zh.Length: > 0 } l ? l.ToString() : Labels.State(w) is { Zh.Length: > 0 } s ? s.ToString()
            : Labels.WorkItem(w) is { Zh.Length: > 0 } k ? k.ToString() : w);
        return string.Join(' ', named);
    }

    /// <summary>
    /// The actions need the dead letter's flags (never re-run, re-run count) beside the id the story gives: one narrow,
    /// indexed list call per dead letter, by its first-seen instant and type.
    /// </summary>
    private static async Task<IReadOnlyDictionary<string, DeadLetterEntry>> DeadLetterIdsAsync(NodeClient node, ExchangeStory story, CancellationToken ct)
    {
        var found = new Dictionary<string, DeadLetterEntry>(StringComparer.Ordinal);
        foreach (var e in story.Envelopes.Where(e => e.Status == MessageStatus.DeadLettered && e.At is not null).Take(20))
        {
            var at = e.At.ToDateTimeOffset();
            var page = await node.Ops.ListDeadLettersAsync(new ListDeadLettersRequest
            {
                FirstSeen = new TimeRange { From = Timestamp.FromDateTimeOffset(at), To = Timestamp.FromDateTimeOffset(at.AddMilliseconds(1)) },
                MessageType = e.MessageType, PageSize = 50,
            }, node.Call(ct));
            if (page.DeadLetters.FirstOrDefault(d => d.Id == e.DeadLetterId) is { } d) found[e.MessageId] = d;
        }
        return found;
    }
}
