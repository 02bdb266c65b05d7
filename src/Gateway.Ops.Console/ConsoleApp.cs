using System.Reflection;
using Gateway.Ops.Console.Pages;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Gateway.Ops.Console;

/// <summary>
/// The operators' web console: a companion host (HTTP/1.1, Kestrel on --urls, default http://127.0.0.1:5780) that
/// renders pages from one node's OpsService over gRPC. It keeps no state of its own.
/// </summary>
public static class ConsoleApp
{
    private static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--node"] = "Console:Node",
        ["--operator"] = "Console:Operator",
        ["--cert"] = "Console:ClientCertificate",
        ["--cert-key"] = "Console:ClientKey",
        ["--ca"] = "Console:NodeCa",
    };

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddCommandLine(args, Switches);
        if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls(ConsoleSettings.DefaultUrl);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.ConfigureEndpointDefaults(l => l.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1);
            // Forms are a few fields; query strings a few filters.
            k.Limits.MaxRequestBodySize = 64 * 1024;
            k.Limits.MaxRequestLineSize = 8 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });
        builder.Services.Configure<FormOptions>(o =>
        {
            o.ValueCountLimit = 40;
            o.KeyLengthLimit = 200;
            o.ValueLengthLimit = 16 * 1024;
            o.MultipartBodyLengthLimit = 64 * 1024;
        });
        builder.Services.Configure<ConsoleSettings>(builder.Configuration.GetSection(ConsoleSettings.Section));
        builder.Services.AddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<ConsoleSettings>>().Value;
            var node = settings.Node is { Length: > 0 } n ? n : Environment.GetEnvironmentVariable("GATEWAY_OPS_NODE") ?? "";
            if (!Uri.TryCreate(node, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new InvalidOperationException($"Console:Node (--node) must be the node's gRPC address, http://host:port; got '{node}'.");
            return new NodeClient(uri, TimeSpan.FromSeconds(Math.Clamp(settings.CallTimeoutSeconds, 1, 300)), settings.Tls(uri));
        });
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "gateway-console-af";
            o.FormFieldName = "__af";
        });

        var app = builder.Build();
        // Fail at start, not at the first page, when the node address is missing or wrong.
        _ = app.Services.GetRequiredService<NodeClient>();
        app.UseExceptionHandler(e => e.Run(async ctx =>
        {
            // Last resort: a readable page with no stack trace; a malformed request keeps its own 4xx.
            var error = ctx.Features.Get<IExceptionHandlerFeature>()?.Error;
            var status = error is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
            await Layout.Problem(ctx, status, status == 500 ? "控制台出错 Console fault" : "请求有误 Bad request",
                [status == 500 ? "The console failed to render this page; the node was not changed by it. See the console's log." : error?.Message ?? "Bad request."]).ExecuteAsync(ctx);
        }));
        app.Use(async (ctx, next) =>
        {
            ctx.Response.Headers["X-Content-Type-Options"] = "nosniff";
            ctx.Response.Headers["X-Frame-Options"] = "DENY";
            ctx.Response.Headers["Content-Security-Policy"] = "default-src 'self'; style-src 'self'; script-src 'none'; form-action 'self'; frame-ancestors 'none'";
            ctx.Response.Headers["Referrer-Policy"] = "no-referrer";
            await next();
        });
        Map(app);
        return app;
    }

    private static void Map(WebApplication app)
    {
        var css = ReadCss();
        app.MapGet("/console.css", () => Results.Text(css, "text/css; charset=utf-8"));
        app.MapGet("/", Page(ctx => ReadPages.Dashboard(ctx)));
        app.MapGet("/list/{condition}", (HttpContext ctx, string condition) => ReadPages.List(ctx, condition));
        app.MapGet("/dead-letters", Page(ctx => ReadPages.DeadLetters(ctx)));
        app.MapGet("/audit", Page(ctx => ReadPages.Audit(ctx)));
        app.MapGet("/exchange", (HttpContext ctx) => StoryPage.Find(ctx));
        app.MapGet("/exchange/{transferId}", (HttpContext ctx, string transferId) => StoryPage.Show(ctx, transferId));
        app.MapGet("/actions/{name}", (HttpContext ctx, string name) => ActionPages.Form(ctx, name));
        app.MapPost("/actions/{name}", (HttpContext ctx, string name) => ActionPages.Submit(ctx, name));
        app.MapFallback((HttpContext ctx) => Layout.Problem(ctx, StatusCodes.Status404NotFound, "没有这个页面 No such page",
            ["Start from the dashboard."]));
    }

    /// <summary>As a Delegate, so the route handler writes the IResult (a RequestDelegate would drop it).</summary>
    private static Delegate Page(Func<HttpContext, Task<IResult>> page) => page;

    private static string ReadCss()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("console.css")
                           ?? throw new InvalidOperationException("console.css is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
