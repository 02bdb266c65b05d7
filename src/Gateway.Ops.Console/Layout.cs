using Microsoft.AspNetCore.Antiforgery;

namespace Gateway.Ops.Console;

/// <summary>The page frame: navigation, the node it talks to, the time zone every time is shown in.</summary>
public static class Layout
{
    public static IResult Page(HttpContext ctx, string title, Markup body, int status = StatusCodes.Status200OK)
    {
        var node = ctx.RequestServices.GetRequiredService<NodeClient>();
        var nav = H.Join(Labels.Conditions, c => H.M($"<a href=\"/list/{c.Slug}\">{c.Label.ToString()}</a>"));
        var html = H.M($"""
            <!DOCTYPE html>
            <html lang="zh-CN">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title} · 医保关系转移接续交换网关 operator console</title>
            <link rel="stylesheet" href="/console.css">
            </head>
            <body>
            <header>
              <div class="brand"><a href="/">医保交换网关运维台 <span class="en">gateway operator console</span></a></div>
              <div class="meta">节点 node <code>{node.Address.ToString()}</code> · {Labels.BeijingZone} · 现在 now {Labels.Time(DateTimeOffset.UtcNow)}</div>
              <nav><a href="/">总览 dashboard</a>{nav}<a href="/dead-letters">死信 dead letters</a><a href="/audit">操作审计 audit trail</a>
                <form class="go" method="get" action="/exchange"><input name="transfer_id" placeholder="转移编号 transfer id" maxlength="64" aria-label="transfer id"><button>查看 story</button></form>
              </nav>
            </header>
            <main>
            <h1>{title}</h1>
            {body}
            </main>
            </body>
            </html>
            """);
        return Results.Content(html.Value, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);
    }

    /// <summary>A readable refusal: what was wrong, never a stack trace.</summary>
    public static IResult Problem(HttpContext ctx, int status, string title, IEnumerable<string> lines, Markup extra = default) =>
        Page(ctx, title, H.M($"""
            <div class="problem" role="alert"><ul>{H.Join(lines, l => H.M($"<li>{l}</li>"))}</ul>{extra}</div>
            <p><a href="/">← 总览 dashboard</a></p>
            """), status);

    public static IResult BadInput(HttpContext ctx, Input input) =>
        Problem(ctx, StatusCodes.Status400BadRequest, "输入有误 Bad input", input.Problems);

    public static Markup Antiforgery(HttpContext ctx)
    {
        var tokens = ctx.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(ctx);
        return H.M($"<input type=\"hidden\" name=\"{tokens.FormFieldName}\" value=\"{tokens.RequestToken}\">");
    }
}
