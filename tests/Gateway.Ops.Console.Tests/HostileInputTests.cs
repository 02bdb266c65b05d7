using System.Net;
using System.Text;
using CsCheck;
using Gateway.Contracts.Ops.V1;

namespace Gateway.Ops.Console.Tests;

/// <summary>
/// The console's own endpoints under generated hostile input: never a 500 or a stack trace; bad input is a 400 page
/// that says what was wrong; a POST without the anti-forgery token is refused; nothing a refused form names is done.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class HostileInputTests(ConsoleFixture fx)
{
    private static readonly string[] GetPaths =
        ["/", "/list/overdue", "/list/waiting-on-system", "/list/failed", "/list/held", "/dead-letters", "/audit", "/exchange", "/actions/reapply", "/actions/resend-failed"];

    private static readonly string[] KnownNames =
        ["counterpart", "step", "from", "to", "waiting_seconds", "page_size", "page_token", "reason", "message_type", "transfer_id", "dead_letter_id", "transfer"];

    /// <summary>Values that break something: control and format characters, lone surrogates, huge, negative, wrong shape.</summary>
    private static readonly Gen<string> Hostile = Gen.OneOf(
        Gen.String[Gen.Char, 0, 80],
        Gen.Const("\u0000"), Gen.Const("\u202E15"), Gen.Const("\uD800"), Gen.Const("a\u200Bb"), Gen.Const("<script>alert(1)</script>"),
        Gen.Const("-1"), Gen.Const("0"), Gen.Const("501"), Gen.Const("99999999999999999999"), Gen.Const("1e3"), Gen.Const("2026-02-30"),
        Gen.Const("2026-13-01"), Gen.Const("1989-12-31"), Gen.Const("9999-01-01T00:00"), Gen.Const("' OR 1=1 --"), Gen.Const("%00"), Gen.Const("%ZZ"),
        Gen.Const("OVERALLX"), Gen.Const("99"), Gen.Const("bm90IGEgdG9rZW4="), Gen.Const("ZGVhZF9sZXR0ZXJzfDB8eA=="),
        Gen.Int[1, 3000].Select(n => new string('x', n)),
        Gen.Int[-5, 2_000_000].Select(n => n.ToString()));

    private static readonly Gen<string> Name = Gen.Frequency((5, Gen.OneOf(KnownNames.Select(Gen.Const).ToArray())), (1, Gen.String[Gen.Char.AlphaNumeric, 1, 20]));

    /// <summary>Percent-encodes every byte but the unreserved ones (lone surrogates become U+FFFD, as a browser would send them).</summary>
    private static string Encode(string s)
    {
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(s))
            sb.Append(b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~'
                ? ((char)b).ToString() : $"%{b:X2}");
        return sb.ToString();
    }

    private static HttpContent Form(IEnumerable<KeyValuePair<string, string>> pairs) =>
        new StringContent(string.Join("&", pairs.Select(p => $"{Encode(p.Key)}={Encode(p.Value)}")), Encoding.UTF8, "application/x-www-form-urlencoded");

    /// <summary>A form for the action that would act: its own fields valid, a reason, confirmed.</summary>
    private static List<KeyValuePair<string, string>> ValidForm(string action, string token)
    {
        var valid = new Dictionary<string, string>
        {
            ["dead_letter_id"] = "1", ["message_id"] = "15:x:y", ["item_id"] = "x:y", ["counterpart_province"] = "51",
            ["from"] = "2026-01-01", ["to"] = "2026-01-02", ["reason_prefix"] = "", ["message_type"] = "",
        };
        var form = new List<KeyValuePair<string, string>>
        {
            new("__af", token), new("key", Guid.NewGuid().ToString("N")), new("operator", "hostile"), new("reason", "generated"), new("confirm", "on"),
        };
        form.AddRange(ConsoleActions.Find(action)!.Fields.Select(f => new KeyValuePair<string, string>(f.Name, valid[f.Name])));
        return form;
    }

    private static async Task AssertReadableAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        Assert.True(status < 500, $"{what}: {status}\n{body[..Math.Min(body.Length, 2000)]}");
        Assert.DoesNotContain("   at ", body); // no stack trace
        Assert.DoesNotContain("<script>", body); // every value is encoded
        if (status == 400) Assert.Contains("class=\"problem\"", body);
    }

    [Fact]
    public async Task Generated_query_strings_never_get_a_500_and_bad_ones_get_a_readable_400()
    {
        using var http = fx.Http();
        var gen = Gen.Select(Gen.OneOf(GetPaths.Select(Gen.Const).ToArray()), Gen.Select(Name, Hostile).Array[1, 4]);
        var bad = 0;
        await gen.SampleAsync(async (path, pairs) =>
        {
            var query = string.Join("&", pairs.Select(p => $"{Encode(p.Item1)}={Encode(p.Item2)}"));
            using var response = await http.GetAsync($"{path}?{query}");
            await AssertReadableAsync(response, $"{path}?{query}");
            if (response.StatusCode == HttpStatusCode.BadRequest) bad++;
        }, iter: 300, threads: 1);
        Assert.True(bad > 100, $"only {bad} of 300 generated queries were refused");

        // Path segments too (Kestrel itself refuses a NUL in the path, with an empty 400, before the console sees it).
        foreach (var segment in new[] { new string('9', 65), "%00", "%E2%80%AE", "..%2F..%2Fetc", "x%0Ay", "%C0%AF" })
        {
            using var response = await http.GetAsync($"/exchange/{segment}");
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{segment}: {response.StatusCode}");
            if (segment != "%00") await AssertReadableAsync(response, segment);
        }
        using (var unknown = await http.GetAsync("/list/not-a-condition")) Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using (var token = await http.GetAsync("/list/held?page_token=bm90IGEgdG9rZW4="))
        {
            Assert.Equal(HttpStatusCode.BadRequest, token.StatusCode);
            Assert.Contains("page_token", await token.Content.ReadAsStringAsync()); // the node's field violation, shown
        }
    }

    [Fact]
    public async Task Generated_action_forms_that_break_a_rule_get_a_400_and_nothing_is_done()
    {
        using var http = fx.Http();
        var token = await ConsoleFixture.FormTokenAsync(http, "reapply");
        Assert.NotEmpty(token);
        var before = await LatestAuditAsync();
        var actions = new[] { "reapply", "never-rerun", "resend", "redeliver", "resend-failed", "reapply-range" };
        // A form that would act (every field valid, confirmed) is broken in one to three ways, so it must be refused.
        var breaks = Gen.OneOf(
            Gen.Const<Func<List<KeyValuePair<string, string>>, string>>(f => { f.RemoveAll(p => p.Key == "confirm"); return "not confirmed"; }),
            Gen.Const<Func<List<KeyValuePair<string, string>>, string>>(f => { f.RemoveAll(p => p.Key == "reason"); return "no reason"; }),
            Gen.Const<Func<List<KeyValuePair<string, string>>, string>>(f => { f.RemoveAll(p => p.Key == "key"); return "no key"; }),
            Hostile.Select<string, Func<List<KeyValuePair<string, string>>, string>>(v => f => { Set(f, "reason", v.Length is > 0 and <= 500 ? v + "\u0007" : v); return "bad reason"; }),
            Hostile.Select<string, Func<List<KeyValuePair<string, string>>, string>>(v => f => { Set(f, "dead_letter_id", "x" + v); Set(f, "from", "x" + v); return "bad id or time"; }),
            Gen.Select(Name, Hostile).Select<(string, string), Func<List<KeyValuePair<string, string>>, string>>(t => f => { f.Add(new(t.Item1 + "_", t.Item2)); return "unknown field"; }),
            Gen.Const<Func<List<KeyValuePair<string, string>>, string>>(f => { f.Add(new("reason", "twice")); f.Add(new("reason", "thrice")); return "reason twice"; }),
            Gen.Const<Func<List<KeyValuePair<string, string>>, string>>(f => { Set(f, "operator", new string('o', 101)); return "operator too long"; }));
        var gen = Gen.Select(Gen.OneOf(actions.Select(Gen.Const).ToArray()), breaks.Array[1, 3]);
        await gen.SampleAsync(async (action, apply) =>
        {
            var form = ValidForm(action, token);
            var what = string.Join("; ", apply.Select(b => b(form)));
            using var response = await http.PostAsync($"/actions/{action}", Form(form));
            await AssertReadableAsync(response, $"{action}: {what}");
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{action}: {what}: {response.StatusCode}");
        }, iter: 150, threads: 1);
        Assert.Equal(before, await LatestAuditAsync());
    }

    [Fact]
    public async Task A_post_without_the_anti_forgery_token_or_its_cookie_is_refused()
    {
        var before = await LatestAuditAsync();
        var form = new Dictionary<string, string> { ["key"] = "k1", ["operator"] = "x", ["reason"] = "r", ["confirm"] = "on", ["dead_letter_id"] = "1" };

        using var noToken = fx.Http();
        await ConsoleFixture.FormTokenAsync(noToken, "reapply"); // has the cookie, sends no field
        using var r1 = await noToken.PostAsync("/actions/reapply", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.BadRequest, r1.StatusCode);
        Assert.Contains("anti-forgery", await r1.Content.ReadAsStringAsync());

        // A token lifted from another session's page, sent without that session's cookie (a cross-site post).
        using var victim = fx.Http();
        var lifted = await ConsoleFixture.FormTokenAsync(victim, "reapply");
        using var attacker = fx.Http();
        using var r2 = await attacker.PostAsync("/actions/reapply", new FormUrlEncodedContent(new Dictionary<string, string>(form) { ["__af"] = lifted }));
        Assert.Equal(HttpStatusCode.BadRequest, r2.StatusCode);

        // Not a form at all.
        using var r3 = await victim.PostAsync("/actions/reapply", new StringContent("{\"dead_letter_id\":1}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, r3.StatusCode);
        using var r4 = await victim.PostAsync("/actions/no-such-action", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.NotFound, r4.StatusCode);
        Assert.Equal(before, await LatestAuditAsync());
    }

    [Fact]
    public async Task A_valid_form_for_an_unknown_dead_letter_shows_the_nodes_refusal_and_the_form_again()
    {
        using var http = fx.Http();
        var token = await ConsoleFixture.FormTokenAsync(http, "reapply");
        var form = new Dictionary<string, string> { ["__af"] = token, ["key"] = Guid.NewGuid().ToString("N"), ["operator"] = "ops", ["reason"] = "try", ["confirm"] = "on", ["dead_letter_id"] = "987654321" };
        using var response = await http.PostAsync("/actions/reapply", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("NOT_FOUND", body);
        Assert.Contains("name=\"reason\"", body); // the form is shown again to correct and retry

        // The node unreachable: a readable 503, not a 500.
        var (app, address) = await StartUnreachableAsync();
        await using (app)
        {
            using var client = new HttpClient { BaseAddress = address };
            using var page = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
            Assert.Contains("Node unreachable", await page.Content.ReadAsStringAsync());
        }
    }

    private static async Task<(Microsoft.AspNetCore.Builder.WebApplication, Uri)> StartUnreachableAsync()
    {
        var address = new Uri($"http://127.0.0.1:{Gateway.LocalServers.FreePort.Find()}");
        var app = ConsoleApp.Build(["--urls", address.ToString().TrimEnd('/'), "--node", "http://127.0.0.1:1", "--Console:CallTimeoutSeconds=5", "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        return (app, address);
    }

    private static void Set(List<KeyValuePair<string, string>> form, string key, string value)
    {
        form.RemoveAll(p => p.Key == key);
        form.Add(new(key, value));
    }

    private async Task<long> LatestAuditAsync() =>
        (await fx.Ops("15").ListAuditTrailAsync(new ListAuditTrailRequest { PageSize = 1 })).Entries.FirstOrDefault()?.Id ?? 0;
}
