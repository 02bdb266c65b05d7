using Gateway.Contracts.Ops.V1;
using Google.Protobuf.WellKnownTypes;

namespace Gateway.Ops.Console.Pages;

/// <summary>The read-only pages: dashboard, one list per condition, dead letters, audit trail. Each maps its query string to one request.</summary>
public static class ReadPages
{
    public static Task<IResult> Dashboard(HttpContext ctx) => NodeErrors.Guard(ctx, async () =>
    {
        var input = Input.Of(ctx.Request.Query);
        if (!input.Ok) return Layout.BadInput(ctx, input);
        var node = ctx.RequestServices.GetRequiredService<NodeClient>();
        var counts = await node.Ops.CountConditionsAsync(new CountConditionsRequest(), node.Call(ctx.RequestAborted));
        var byCondition = counts.Counts.ToDictionary(c => c.Condition);
        var counterparts = counts.Counts.SelectMany(c => c.ByCounterpart.Keys).Distinct().Order(StringComparer.Ordinal).ToList();

        var rows = H.Join(Labels.Conditions, c =>
        {
            var n = byCondition.GetValueOrDefault(c.Condition);
            var capped = n?.Capped == true ? H.M($" <span class=\"warn\" title=\"counted over the first 10,000 open transfers only\">≥ (capped)</span>") : Markup.Empty;
            var parts = H.Join((n?.ByCounterpart ?? []).OrderBy(kv => kv.Key, StringComparer.Ordinal), kv =>
                H.M($"<a class=\"chip\" href=\"/list/{c.Slug}?counterpart={kv.Key}\">{Labels.Province(kv.Key)}: {kv.Value}</a> "));
            return H.M($"""
                <tr class="{((n?.Count ?? 0) > 0 ? "hot" : "")}"><th><a href="/list/{c.Slug}">{c.Label.ToString()}</a></th>
                <td class="num" data-condition="{c.Condition.ToString()}" data-counterpart="" data-count="{n?.Count ?? 0}">{n?.Count ?? 0}{capped}</td><td>{parts}</td></tr>
                """);
        });
        var head = H.Join(Labels.Conditions, c => H.M($"<th>{c.Label.ToString()}</th>"));
        var matrix = H.Join(counterparts, cp => H.M($"""
            <tr><th>{Labels.Province(cp)}</th>{H.Join(Labels.Conditions, c =>
            {
                var n = byCondition.GetValueOrDefault(c.Condition)?.ByCounterpart.GetValueOrDefault(cp) ?? 0;
                return H.M($"<td class=\"num\" data-condition=\"{c.Condition.ToString()}\" data-counterpart=\"{cp}\" data-count=\"{n}\"><a href=\"/list/{c.Slug}?counterpart={cp}\">{n}</a></td>");
            })}</tr>
            """));
        return Layout.Page(ctx, "总览 Dashboard", H.M($"""
            <section><h2>各状况数量 Counts per condition</h2>
            <table><thead><tr><th>状况 condition</th><th>数量 count</th><th>按对方省份 by counterpart province</th></tr></thead><tbody>{rows}</tbody></table></section>
            <section><h2>死信 Dead letters</h2>
            <p><a href="/dead-letters">可重跑 re-runnable: <strong data-dead-letters="rerunnable">{counts.DeadLettersRerunnable}</strong> / 全部 all: <strong data-dead-letters="all">{counts.DeadLetters}</strong></a></p></section>
            <section><h2>按对方省份 Per counterpart province</h2>
            {(counterparts.Count == 0 ? H.M($"<p class=\"quiet\">无 none: nothing is stuck with any counterpart.</p>")
                : H.M($"<table class=\"matrix\"><thead><tr><th>对方省份 counterpart</th>{head}</tr></thead><tbody>{matrix}</tbody></table>"))}
            </section>
            """));
    });

    public static Task<IResult> List(HttpContext ctx, string slug) => NodeErrors.Guard(ctx, async () =>
    {
        var found = Labels.Conditions.FirstOrDefault(c => c.Slug == slug);
        if (found.Slug is null)
            return Layout.Problem(ctx, StatusCodes.Status404NotFound, "没有这个状况 No such condition",
                [$"The lists are: {string.Join(", ", Labels.Conditions.Select(c => c.Slug))}."]);
        var condition = found.Condition;
        var input = Input.Of(ctx.Request.Query, "counterpart", "step", "from", "to", "waiting_seconds", "page_size", "page_token");
        var counterpart = input.Province("counterpart", "counterpart");
        var step = input.OneOf("step", Labels.StepCodes, "step");
        if (step is not null && condition != Condition.Overdue) input.Problem("step: only the overdue list filters by step.");
        var range = input.Range("from", "to", label: "created");
        var waiting = input.Int("waiting_seconds", 0, 31_536_000, 0, "waiting_seconds");
        var pageSize = input.Int("page_size", 1, 500, 50, "page_size");
        var token = input.Text("page_token", Input.MaxTokenLength, "page_token");
        if (!input.Ok) return Layout.BadInput(ctx, input);

        var node = ctx.RequestServices.GetRequiredService<NodeClient>();
        var response = await node.Ops.ListExchangesAsync(new ListExchangesRequest
        {
            Condition = condition, CounterpartProvince = counterpart ?? "", Step = step ?? "", Created = range,
            WaitingSeconds = waiting, PageSize = pageSize, PageToken = token ?? "",
        }, node.Call(ctx.RequestAborted));

        var q = ctx.Request.Query;
        var filters = H.M($"""
            <form method="get" class="filters">
              <label>对方省份 counterpart <select name="counterpart"><option value="">全部 all</option>{ProvinceOptions(counterpart)}</select></label>
              {(condition == Condition.Overdue ? H.M($"<label>环节 step <select name=\"step\"><option value=\"\">全部 any</option>{H.Join(Labels.StepCodes, s => H.M($"<option value=\"{s}\"{(s == step ? H.M($" selected") : Markup.Empty)}>{Labels.Step(s).ToString()}</option>"))}</select></label>") : Markup.Empty)}
              <label>创建起 created from <input type="date" name="from" value="{q["from"].ToString()}"></label>
              <label>至 to (含 inclusive) <input type="date" name="to" value="{q["to"].ToString()}"></label>
              {(condition == Condition.WaitingOnProvinceSystem ? H.M($"<label>等待超过(秒) waiting over (s) <input type=\"number\" name=\"waiting_seconds\" min=\"0\" value=\"{(waiting == 0 ? "" : waiting.ToString())}\" placeholder=\"3600\"></label>") : Markup.Empty)}
              <label>每页 per page <input type="number" name="page_size" min="1" max="500" value="{pageSize}"></label>
              <button>筛选 filter</button>
            </form>
            """);
        var rows = H.Join(response.Entries, e => Row(condition, e));
        var pager = Pager(ctx, response.NextPageToken, ("counterpart", counterpart), ("step", step), ("from", q["from"].ToString()), ("to", q["to"].ToString()),
            ("waiting_seconds", waiting == 0 ? null : waiting.ToString()), ("page_size", pageSize.ToString()));
        return Layout.Page(ctx, found.Label.ToString(), H.M($"""
            {filters}
            <table class="list" data-condition="{condition.ToString()}">
            <thead><tr><th>转移编号 transfer</th><th>对方省份 counterpart</th><th>状态 state</th><th>创建 created</th><th>详情 detail</th><th>操作 actions</th></tr></thead>
            <tbody>{rows}</tbody></table>
            <p class="quiet">本页 {response.Entries.Count} 条 entries on this page.</p>
            {pager}
            """));
    });

    private static Markup Row(Condition condition, ExchangeEntry e)
    {
        var detail = condition switch
        {
            Condition.Overdue => H.Join(e.Overdue, o => H.M($"""
                <div class="overdue" data-step="{o.Step}"><strong>{Labels.Step(o.Step).ToString()}</strong> ({o.Step}) · 截止 due <time>{o.DueOn}</time> ·
                依 rule of <span class="rule">{Labels.Province(o.GoverningProvince)}</span>, {o.WorkingDays} 个工作日 working days · 日历 calendar {o.Calendar}</div>
                """)),
            Condition.WaitingOnCounterpart or Condition.Failed => H.M($"""
                {Labels.MessageType(e.MessageType).ToString()} <code>{e.MessageId}</code> · 发送次数 attempts {e.Attempts}{(e.LastError.Length > 0 ? H.M($" · <span class=\"err\">{e.LastError}</span>") : Markup.Empty)}
                """),
            Condition.WaitingOnProvinceSystem => H.M($"{Labels.WorkItem(e.WorkItemKind).ToString()} <code>{e.WorkItemId}</code> · 下发次数 deliveries {e.DeliveryCount}"),
            _ => H.M($"{e.Reason}"),
        };
        var action = condition switch
        {
            Condition.Failed => H.M($"<a class=\"act\" href=\"{ConsoleActions.Link("resend", e.TransferId, ("message_id", e.MessageId))}\">重新发送 re-send</a>"),
            Condition.WaitingOnProvinceSystem => H.M($"<a class=\"act\" href=\"{ConsoleActions.Link("redeliver", e.TransferId, ("item_id", e.WorkItemId))}\">重新下发 re-deliver</a>"),
            Condition.Held => H.M($"<a class=\"act\" href=\"{ConsoleActions.Link("release", e.TransferId, ("transfer_id", e.TransferId), ("hold_code", e.Reason.Split(':', 2)[0]))}\">解除挂起 release</a>"),
            Condition.Overdue => H.M($"<a class=\"act\" href=\"{ConsoleActions.Link("cancel", e.TransferId, ("transfer_id", e.TransferId))}\">撤销 cancel</a>"),
            _ => Markup.Empty,
        };
        return H.M($"""
            <tr data-transfer="{e.TransferId}"><td><a href="/exchange/{Uri.EscapeDataString(e.TransferId)}">{e.TransferId}</a></td><td>{Labels.Province(e.CounterpartProvince)}</td>
            <td>{Labels.State(e.TransferState).ToString()}</td><td><time>{Labels.Time(e.CreatedAt)}</time></td><td>{detail}</td><td>{action}</td></tr>
            """);
    }

    public static Task<IResult> DeadLetters(HttpContext ctx) => NodeErrors.Guard(ctx, async () =>
    {
        var input = Input.Of(ctx.Request.Query, "from", "to", "reason", "message_type", "page_size", "page_token");
        var range = input.Range("from", "to", label: "first seen");
        var reason = input.Text("reason", Input.MaxReasonLength, "reason");
        var type = input.Text("message_type", Input.MaxIdLength, "message_type");
        var pageSize = input.Int("page_size", 1, 500, 50, "page_size");
        var token = input.Text("page_token", Input.MaxTokenLength, "page_token");
        if (!input.Ok) return Layout.BadInput(ctx, input);
        var node = ctx.RequestServices.GetRequiredService<NodeClient>();
        var response = await node.Ops.ListDeadLettersAsync(new ListDeadLettersRequest
        {
            FirstSeen = range, ReasonPrefix = reason ?? "", MessageType = type ?? "", PageSize = pageSize, PageToken = token ?? "",
        }, node.Call(ctx.RequestAborted));
        var q = ctx.Request.Query;
        var rows = H.Join(response.DeadLetters, d => H.M($"""
            <tr data-dead-letter="{d.Id}" data-transfer="{d.TransferId}"><td>{d.Id}</td><td><time>{Labels.Time(d.FirstSeenAt)}</time><br><span class="quiet">最近 last <time>{Labels.Time(d.LastSeenAt)}</time></span></td>
            <td>{Labels.Province(d.SenderProvince)}</td><td>{Labels.MessageType(d.MessageType).ToString()}<br><code>{d.MessageId}</code></td>
            <td>{(d.TransferId.Length > 0 ? H.M($"<a href=\"/exchange/{Uri.EscapeDataString(d.TransferId)}\">{d.TransferId}</a>") : Markup.Empty)}</td>
            <td class="err">{d.Reason}</td><td class="num">{d.RerunCount}</td><td>{(d.NeverRerun ? "永不重跑 never" : "")}</td>
            <td>{DeadLetterActions(d)}</td></tr>
            """));
        var pager = Pager(ctx, response.NextPageToken, ("from", q["from"].ToString()), ("to", q["to"].ToString()), ("reason", reason), ("message_type", type), ("page_size", pageSize.ToString()));
        return Layout.Page(ctx, "死信 Dead letters", H.M($"""
            <p class="explain">Inbound envelopes this node could not apply, with the reason. Re-apply runs one through the inbox again; it takes effect at most once.</p>
            <form method="get" class="filters">
              <label>首次出现起 first seen from <input type="date" name="from" value="{q["from"].ToString()}"></label>
              <label>至 to (含 inclusive) <input type="date" name="to" value="{q["to"].ToString()}"></label>
              <label>原因前缀 reason prefix <input name="reason" maxlength="{Input.MaxReasonLength}" value="{reason ?? ""}"></label>
              <label>报文类型 message type <input name="message_type" maxlength="64" value="{type ?? ""}" placeholder="TransferCompleted"></label>
              <label>每页 per page <input type="number" name="page_size" min="1" max="500" value="{pageSize}"></label>
              <button>筛选 filter</button>
            </form>
            <table class="list"><thead><tr><th>编号 id</th><th>首次出现 first seen</th><th>发送方 sender</th><th>报文 message</th><th>转移编号 transfer</th><th>原因 reason</th><th>重跑次数 re-runs</th><th></th><th>操作 actions</th></tr></thead>
            <tbody>{rows}</tbody></table>
            <p class="quiet">本页 {response.DeadLetters.Count} 条 entries on this page.</p>
            {pager}
            <p><a href="/actions/reapply-range">批量重新应用 re-apply a range…</a> · <a href="/actions/resend-failed">批量重新发送失败报文 re-send all failed…</a> · <a href="/actions/resend-job">限速批量重新发送 paced re-send job…</a></p>
            """));
    });

    public static Markup DeadLetterActions(DeadLetterEntry d) => d.NeverRerun ? Markup.Empty : H.M($"""
        <a class="act" href="{ConsoleActions.Link("reapply", d.TransferId.Length > 0 ? d.TransferId : null, ("dead_letter_id", d.Id.ToString()))}">重新应用 re-apply</a>
        <a class="act" href="{ConsoleActions.Link("never-rerun", d.TransferId.Length > 0 ? d.TransferId : null, ("dead_letter_id", d.Id.ToString()))}">永不重跑 never re-run</a>
        """);

    public static Task<IResult> Audit(HttpContext ctx) => NodeErrors.Guard(ctx, async () =>
    {
        var input = Input.Of(ctx.Request.Query, "page_size", "page_token");
        var pageSize = input.Int("page_size", 1, 500, 50, "page_size");
        var token = input.Text("page_token", Input.MaxTokenLength, "page_token");
        if (!input.Ok) return Layout.BadInput(ctx, input);
        var node = ctx.RequestServices.GetRequiredService<NodeClient>();
        var response = await node.Ops.ListAuditTrailAsync(new ListAuditTrailRequest { PageSize = pageSize, PageToken = token ?? "" }, node.Call(ctx.RequestAborted));
        return Layout.Page(ctx, "操作审计 Audit trail", H.M($"""
            <p class="explain">Every operator action, newest first: who, when, what, why and the result. Append-only.</p>
            {AuditTable(response.Entries)}
            {Pager(ctx, response.NextPageToken, ("page_size", pageSize.ToString()))}
            """));
    });

    public static Markup AuditTable(IEnumerable<AuditEntry> entries) => H.M($"""
        <table class="list"><thead><tr><th>编号 id</th><th>时间 at</th><th>操作员 operator</th><th>操作 action</th><th>对象 subject</th><th>原因 reason</th><th>结果 result</th><th>转移编号 transfer</th></tr></thead>
        <tbody>{H.Join(entries, a => H.M($"""
            <tr data-audit="{a.Id}"><td>{a.Id}</td><td><time>{Labels.Time(a.At)}</time></td><td>{a.Operator}</td><td>{a.Action}</td><td><code>{a.Subject}</code></td><td>{a.Reason}</td>
            <td data-result="{a.Result}"><strong>{a.Result}</strong></td><td>{(a.TransferId.Length > 0 ? H.M($"<a href=\"/exchange/{Uri.EscapeDataString(a.TransferId)}\">{a.TransferId}</a>") : Markup.Empty)}</td></tr>
            """))}</tbody></table>
        """);

    private static Markup ProvinceOptions(string? selected) =>
        H.Join(Labels.ProvinceCodes, p => H.M($"<option value=\"{p}\"{(p == selected ? H.M($" selected") : Markup.Empty)}>{Labels.Province(p)}</option>"));

    private static Markup Pager(HttpContext ctx, string next, params (string Key, string? Value)[] filters)
    {
        var path = ctx.Request.Path.Value ?? "/";
        var first = ctx.Request.Query.ContainsKey("page_token") ? H.M($"<a href=\"{path + H.Query(filters)}\">« 第一页 first page</a> ") : Markup.Empty;
        var more = next.Length > 0 ? H.M($"<a rel=\"next\" href=\"{path + H.Query([.. filters, ("page_token", next)])}\">下一页 next page »</a>") : Markup.Empty;
        return H.M($"<p class=\"pager\">{first}{more}</p>");
    }

    internal static Timestamp? Ts(DateTimeOffset? at) => at is { } a ? Timestamp.FromDateTimeOffset(a) : null;
}
