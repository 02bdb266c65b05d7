using Gateway.Contracts.Ops.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Microsoft.Playwright;
using Proto = Gateway.Contracts.Transfer.V1;

namespace Gateway.Ops.Console.Tests;

/// <summary>
/// The console in a real browser: Debian's Chromium (installed by deploy/install-prerequisites.sh), headless, driven by
/// Playwright. Playwright never downloads a browser here: it launches /usr/bin/chromium.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class BrowserTests(ConsoleFixture fx)
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly string Shots = Path.Combine(AppContext.BaseDirectory, "screenshots");

    private static async Task<(IPlaywright, IBrowser)> LaunchAsync()
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run deploy/install-prerequisites.sh (it installs Debian's chromium).");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
        return (playwright, browser);
    }

    private static async Task ShotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Shots);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Shots, name + ".png"), FullPage = true });
    }

    [Fact]
    public async Task An_operator_sees_the_overdue_transfer_and_the_dead_letter_reapplies_it_with_a_reason_and_sees_the_transfer_complete()
    {
        // The origin's database refuses the acknowledgement, so the destination's TransferCompleted is dead-lettered at 15
        // and the origin's copy stays open; weeks later (the origin's clock moved) it is overdue for completion.
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var trigger = "console_refuse_ack_" + Guid.NewGuid().ToString("N")[..8];
        await NodeFaults.RefuseTransferChangesAsync(fx.Cluster["15"], trigger, person.IdentityNumber, "NEW.state = 'Acknowledged'");
        var dropped = false;
        try
        {
            var accepted = await fx.Driver.SubmitAsync("51", await fx.Driver.IssueCertificateAsync("15", person, TransferDriver.Today), TransferDriver.Today);
            var id = accepted.TransferId;
            await fx.Driver.WaitForStateAsync("51", id, Timeout, Proto.TransferState.Completed);
            var dead = await NodeFaults.PollAsync(async () =>
                (await fx.Ops("15").ListDeadLettersAsync(new ListDeadLettersRequest { MessageType = "TransferCompleted", PageSize = 500 }))
                    .DeadLetters.FirstOrDefault(d => d.TransferId == id), "the dead-lettered TransferCompleted", Timeout);

            fx.OriginClock.Advance(TimeSpan.FromDays(60));
            var listed = await fx.Ops("15").ListExchangesAsync(new ListExchangesRequest { Condition = Condition.Overdue, PageSize = 500 });
            var late = Assert.Single(listed.Entries, e => e.TransferId == id).Overdue.First();

            var (playwright, browser) = await LaunchAsync();
            using var _ = playwright;
            await using var __ = browser;
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1360, Height = 900 }, Locale = "zh-CN" });
            var console = fx.ConsoleAddress.ToString().TrimEnd('/');

            // The dashboard counts the overdue transfer against its counterpart, and links to the list.
            await page.GotoAsync(console + "/");
            var cell = page.Locator("td[data-condition='Overdue'][data-counterpart='51']");
            Assert.True(int.Parse(await cell.GetAttributeAsync("data-count") ?? "0") >= 1);
            await ShotAsync(page, "01-dashboard");

            // The overdue list, filtered from its form: step, deadline and the governing province's rule.
            await page.ClickAsync("nav >> text=逾期 overdue");
            await page.SelectOptionAsync("select[name=counterpart]", "51");
            await page.ClickAsync("form.filters button");
            var row = page.Locator($"tr[data-transfer='{id}']");
            var detail = await row.Locator($".overdue[data-step='{late.Step}']").InnerTextAsync();
            Assert.Contains(late.Step, detail);
            Assert.Contains($"截止 due {late.DueOn}", detail);
            Assert.Contains($"rule of {late.GoverningProvince} ", detail);
            Assert.Contains("working days", detail);
            await ShotAsync(page, "02-overdue");

            // The dead letter, with its reason, on its page.
            await page.ClickAsync("nav >> text=死信 dead letters");
            await page.FillAsync("input[name=message_type]", "TransferCompleted");
            await page.ClickAsync("form.filters button");
            var deadRow = page.Locator($"tr[data-dead-letter='{dead.Id}']");
            Assert.Contains(id, await deadRow.InnerTextAsync());
            Assert.Contains("转入办结通知 transfer completed", await deadRow.InnerTextAsync());
            await ShotAsync(page, "03-dead-letters");

            // The story: still open here, overdue, the received envelope dead-lettered with its re-apply action.
            await deadRow.Locator($"a[href='/exchange/{id}']").ClickAsync();
            Assert.Equal("InfoTableSent", await page.Locator("#state").GetAttributeAsync("data-state"));
            Assert.Equal("overdue", await page.Locator($"tr[data-step='{late.Step}'] td[data-deadline]").GetAttributeAsync("data-deadline"));
            var envelope = page.Locator($"tr[data-message='{dead.MessageId}'][data-status='DeadLettered']");
            Assert.Contains("死信 dead-lettered", await envelope.InnerTextAsync());
            await ShotAsync(page, "04-story-before");
            // The README's picture (docs/images/console.png): the story down to the dead letter's re-apply action.
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Shots, "console.png"), FullPage = true,
                Clip = new Clip { X = 0, Y = 0, Width = 1360, Height = Math.Min(1250, (await envelope.BoundingBoxAsync())!.Y + 90) } });

            // The books are fixed; the operator re-applies with a reason and confirms.
            await NodeFaults.AllowTransferChangesAsync(fx.Cluster["15"], trigger);
            dropped = true;
            await envelope.Locator("a.act >> text=重新应用 re-apply").ClickAsync();
            Assert.Equal(dead.Id.ToString(), await page.InputValueAsync("input[name=dead_letter_id]"));
            await page.FillAsync("input[name=operator]", "ops-browser");
            await page.FillAsync("textarea[name=reason]", "origin books corrected; re-apply the completion");
            await page.CheckAsync("input[name=confirm]");
            await ShotAsync(page, "05-confirm");
            await page.ClickAsync("form.action button[type=submit]");
            await page.WaitForLoadStateAsync();
            if (await page.Locator(".problem").CountAsync() > 0)
            {
                await ShotAsync(page, "06-refused");
                Assert.Fail("The action was refused: " + await page.Locator(".problem").InnerTextAsync());
            }
            Assert.Equal("APPLIED", await page.Locator("td[data-field=result]").InnerTextAsync());
            await ShotAsync(page, "06-result");

            // Back on the story, the transfer progresses: polled with a deadline, as an operator would reload.
            await page.ClickAsync("#back-to-story");
            var until = DateTime.UtcNow + Timeout;
            while (await page.Locator("#state").GetAttributeAsync("data-state") != "Acknowledged")
            {
                Assert.True(DateTime.UtcNow < until, "the transfer did not reach Acknowledged on the story page");
                await Task.Delay(250);
                await page.ReloadAsync();
            }
            Assert.Contains("转出地已确认办结 acknowledged", await page.Locator("#state").InnerTextAsync());
            Assert.Contains("ops-browser", await page.Locator("section:has(h2:text('Operator actions'))").InnerTextAsync());
            await ShotAsync(page, "07-story-after");

            // No longer on the overdue list; the audit trail names who, why and the result.
            await page.GotoAsync(console + "/list/overdue?counterpart=51&page_size=500");
            Assert.Equal(0, await page.Locator($"tr[data-transfer='{id}']").CountAsync());
            await page.GotoAsync(console + "/audit");
            var audit = await page.Locator("tr[data-audit]").First.InnerTextAsync();
            Assert.Contains("ops-browser", audit);
            Assert.Contains("origin books corrected", audit);
            Assert.Contains("APPLIED", audit);
            await ShotAsync(page, "08-audit");
        }
        finally
        {
            if (!dropped) await NodeFaults.AllowTransferChangesAsync(fx.Cluster["15"], trigger);
        }
    }
}
