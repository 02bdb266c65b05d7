using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;

namespace Gateway.Ops.Console.Pages;

/// <summary>
/// Every action is two steps: GET shows what it will do with a required reason and a required "I confirm" box; the
/// POST (anti-forgery checked) makes the one call. The form carries a fresh idempotency key, so submitting the same
/// form twice (a refresh, a double click) replays the node's first answer instead of acting twice.
/// </summary>
public static class ActionPages
{
    private const string KeyHeader = "idempotency-key";
    private static readonly string[] Fixed = ["reason", "operator", "confirm", "key", "transfer"];

    public static IResult Form(HttpContext ctx, string name)
    {
        if (ConsoleActions.Find(name) is not { } action) return UnknownAction(ctx);
        var input = Input.Of(ctx.Request.Query, [.. action.Fields.Select(f => f.Name), "transfer"]);
        var values = new Dictionary<string, string?>();
        foreach (var f in action.Fields) values[f.Name] = input.Text(f.Name, Max(f));
        var transfer = input.Text("transfer", Input.MaxIdLength);
        if (!input.Ok) return Layout.BadInput(ctx, input);
        return Render(ctx, action, values, transfer, null, NewKey(), [], StatusCodes.Status200OK);
    }

    public static async Task<IResult> Submit(HttpContext ctx, string name)
    {
        if (ConsoleActions.Find(name) is not { } action) return UnknownAction(ctx);
        if (!ctx.Request.HasFormContentType)
            return Layout.Problem(ctx, StatusCodes.Status415UnsupportedMediaType, "需要表单 A form is expected",
                ["Actions are submitted from their confirmation form (application/x-www-form-urlencoded)."]);
        IFormCollection form;
        try
        {
            form = await ctx.Request.ReadFormAsync(ctx.RequestAborted);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
        {
            return Layout.Problem(ctx, StatusCodes.Status400BadRequest, "表单无法读取 The form could not be read", ["The form body is malformed or too large."]);
        }
        var antiforgery = ctx.RequestServices.GetRequiredService<IAntiforgery>();
        bool trusted;
        try { trusted = await antiforgery.IsRequestValidAsync(ctx); }
        catch (AntiforgeryValidationException) { trusted = false; }
        if (!trusted)
            return Layout.Problem(ctx, StatusCodes.Status400BadRequest, "表单校验失败 The form was not accepted",
                ["The anti-forgery check failed: the form did not come from this console, or it expired.", "Open the action again from its page and submit it from there."]);

        var settings = ctx.RequestServices.GetRequiredService<IOptions<ConsoleSettings>>().Value;
        var input = Input.Of(form, [.. action.Fields.Select(f => f.Name), .. Fixed, antiforgery.GetTokens(ctx).FormFieldName]);
        var raw = new Dictionary<string, string?>();
        var values = new Dictionary<string, string>();
        foreach (var f in action.Fields)
        {
            raw[f.Name] = input.Text(f.Name, Max(f), f.Label.En);
            var value = f.Kind switch
            {
                FieldKind.Id => input.Long(f.Name, f.Label.En)?.ToString(CultureInfo.InvariantCulture),
                FieldKind.Province => input.Province(f.Name, f.Label.En),
                FieldKind.Time => input.Time(f.Name, f.EndOfDay, f.Label.En)?.ToString("O", CultureInfo.InvariantCulture),
                _ => input.Text(f.Name, Max(f), f.Label.En),
            };
            if (value is not null) values[f.Name] = value;
            else if (f.Required && raw[f.Name] is null) input.Problem($"{f.Label.En} {f.Label.Zh}: required.");
        }
        var reason = input.Required("reason", Input.MaxReasonLength, "reason 原因", multiline: true);
        var who = settings.Operator is { Length: > 0 } fixedOperator ? fixedOperator : input.Required("operator", Input.MaxNameLength, "operator 操作员");
        var key = input.Required("key", 200, "idempotency key");
        var transfer = input.Text("transfer", Input.MaxIdLength);
        if (!input.Checked("confirm")) input.Problem("Tick \"我确认 I confirm\" to confirm the action.");
        if (!input.Ok)
            return Render(ctx, action, raw, transfer, reason, key ?? NewKey(), input.Problems, StatusCodes.Status400BadRequest, who);

        var node = ctx.RequestServices.GetRequiredService<NodeClient>();
        var headers = new Metadata { { KeyHeader, key! } };
        try
        {
            var result = await action.Call(node.Ops, new ActionInput(values, who!, reason!), node.Call(ctx.RequestAborted, headers));
            return Result(ctx, action, result, transfer);
        }
        catch (RpcException rpc)
        {
            // The state did not allow it (or the input was refused): the node's reason, and the form to try again.
            var (status, _) = NodeErrors.Classify(rpc);
            return Render(ctx, action, raw, transfer, reason, NewKey(), ["节点拒绝 The node refused:", .. NodeErrors.Lines(rpc)], status, who);
        }
        catch (HttpRequestException http)
        {
            return Render(ctx, action, raw, transfer, reason, key!, [$"节点不可达 Node unreachable: {http.Message}"], StatusCodes.Status503ServiceUnavailable, who);
        }
    }

    private static int Max(ActionField f) => f.Kind == FieldKind.Text ? 200 : 40;

    private static string NewKey() => "console-" + Guid.NewGuid().ToString("N");

    private static IResult UnknownAction(HttpContext ctx) =>
        Layout.Problem(ctx, StatusCodes.Status404NotFound, "没有这个操作 No such action",
            [$"The console's actions are: {string.Join(", ", ConsoleActions.All.Select(a => a.Name))}."]);

    private static IResult Render(HttpContext ctx, ConsoleAction action, IReadOnlyDictionary<string, string?> values, string? transfer,
        string? reason, string key, IReadOnlyList<string> problems, int status, string? who = null)
    {
        var settings = ctx.RequestServices.GetRequiredService<IOptions<ConsoleSettings>>().Value;
        var fields = H.Join(action.Fields, f => H.M($"""
            <label><span>{f.Label.ToString()}{(f.Required ? H.M($" <span class=\"req\">*</span>") : Markup.Empty)}</span>
              <input name="{f.Name}" value="{values.GetValueOrDefault(f.Name) ?? ""}" {InputType(f)}{(f.Required ? H.M($" required") : Markup.Empty)}></label>
            """));
        var operatorField = settings.Operator is { Length: > 0 } op
            ? H.M($"<p>操作员 operator: <strong>{op}</strong> (Console:Operator)</p>")
            : H.M($"<label><span>操作员 operator <span class=\"req\">*</span></span><input name=\"operator\" value=\"{who ?? ""}\" maxlength=\"{Input.MaxNameLength}\" required></label>");
        var problemBox = problems.Count == 0 ? Markup.Empty
            : H.M($"<div class=\"problem\" role=\"alert\"><ul>{H.Join(problems, p => H.M($"<li>{p}</li>"))}</ul></div>");
        var back = transfer is null ? Markup.Empty : H.M($"<p><a href=\"/exchange/{Uri.EscapeDataString(transfer)}\">← 返回该交换 back to {transfer}</a></p>");
        return Layout.Page(ctx, $"{action.Label}", H.M($"""
            {problemBox}
            <p class="explain">{action.Explain}</p>
            <form method="post" action="/actions/{action.Name}" class="action">
              {Layout.Antiforgery(ctx)}
              <input type="hidden" name="key" value="{key}">
              {(transfer is null ? Markup.Empty : H.M($"<input type=\"hidden\" name=\"transfer\" value=\"{transfer}\">"))}
              {fields}
              {operatorField}
              <label><span>原因 reason <span class="req">*</span> (1–{Input.MaxReasonLength})</span>
                <textarea name="reason" maxlength="{Input.MaxReasonLength}" rows="3" required>{reason ?? ""}</textarea></label>
              <label class="confirm"><input type="checkbox" name="confirm" value="on" required> 我确认执行此操作 I confirm this action</label>
              <button type="submit" class="danger">{action.Label.ToString()}</button>
            </form>
            {back}
            """), status);
    }

    private static Markup InputType(ActionField f) => f.Kind switch
    {
        FieldKind.Time => H.M($"type=\"datetime-local\""),
        FieldKind.Id => H.M($"inputmode=\"numeric\" pattern=\"[0-9]{{1,19}}\" maxlength=\"19\""),
        FieldKind.Province => H.M($"pattern=\"[0-9]{{2}}\" maxlength=\"2\""),
        _ => H.M($"maxlength=\"200\""),
    };

    private static IResult Result(HttpContext ctx, ConsoleAction action, IMessage result, string? transfer)
    {
        var rows = H.Join(result.Descriptor.Fields.InFieldNumberOrder(), f => H.M($"<tr><th>{f.Name}</th><td data-field=\"{f.Name}\">{Value(f, result)}</td></tr>"));
        var back = transfer is null ? Markup.Empty : H.M($"<p><a id=\"back-to-story\" href=\"/exchange/{Uri.EscapeDataString(transfer)}\">← 返回该交换 back to the exchange {transfer}</a></p>");
        return Layout.Page(ctx, $"{action.Label} · 结果 result", H.M($"""
            <div class="done" role="status">节点已答复 The node answered.</div>
            <table class="kv">{rows}</table>
            {back}
            <p><a href="/audit">操作审计 audit trail</a></p>
            """));
    }

    private static string Value(FieldDescriptor f, IMessage message)
    {
        var v = f.Accessor.GetValue(message);
        return v switch
        {
            null => "",
            Timestamp t => Labels.Time(t),
            IMessage m => JsonFormatter.Default.Format(m),
            System.Collections.IEnumerable e when v is not string => string.Join(", ", e.Cast<object>()),
            bool b => b ? "true" : "false",
            IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        };
    }
}
