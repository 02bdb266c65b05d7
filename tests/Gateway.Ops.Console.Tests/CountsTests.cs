using System.Text.RegularExpressions;
using Gateway.Contracts.Ops.V1;
using Gateway.Harness;
using Gateway.Ops.Cli;
using Gateway.ProvinceSimulator;
using Google.Protobuf;
using Proto = Gateway.Contracts.Transfer.V1;

namespace Gateway.Ops.Console.Tests;

/// <summary>The dashboard shows the numbers CountConditions returns, and so does the CLI: all three read the same service.</summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class CountsTests(ConsoleFixture fx)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>(condition, counterpart or "" for the total) → count, plus the two dead-letter numbers.</summary>
    private static SortedDictionary<string, long> Flatten(CountConditionsResponse r)
    {
        var d = new SortedDictionary<string, long>(StringComparer.Ordinal)
        {
            ["dead_letters:all"] = r.DeadLetters, ["dead_letters:rerunnable"] = r.DeadLettersRerunnable,
        };
        foreach (var c in r.Counts)
        {
            d[$"{c.Condition}:"] = c.Count;
            foreach (var (cp, n) in c.ByCounterpart) d[$"{c.Condition}:{cp}"] = n;
        }
        return d;
    }

    [GeneratedRegex("data-condition=\"(\\w+)\" data-counterpart=\"(\\d*)\" data-count=\"(\\d+)\"")]
    private static partial Regex Cell();

    [GeneratedRegex("data-dead-letters=\"(\\w+)\">(\\d+)<")]
    private static partial Regex DeadLetterCell();

    private static SortedDictionary<string, long> FromDashboard(string html)
    {
        var d = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (Match m in Cell().Matches(html))
        {
            var key = $"{m.Groups[1].Value}:{m.Groups[2].Value}";
            var n = long.Parse(m.Groups[3].Value);
            // The matrix shows a zero for a counterpart another condition has; the service's map leaves it out.
            if (n == 0 && m.Groups[2].Value.Length > 0) continue;
            Assert.False(d.TryGetValue(key, out var seen) && seen != n, $"{key} shown as {seen} and {n}");
            d[key] = n;
        }
        foreach (Match m in DeadLetterCell().Matches(html)) d[$"dead_letters:{m.Groups[1].Value}"] = long.Parse(m.Groups[2].Value);
        return d;
    }

    [Fact]
    public async Task The_dashboard_shows_what_CountConditions_and_the_cli_json_show()
    {
        // Something to count: the origin's clerks never answer, and weeks pass at the origin, so the transfer is overdue
        // there and its work item waits on the province system.
        var origin = fx.Cluster["15"];
        origin.Simulator!.Pause();
        try
        {
            var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
            var accepted = await fx.Driver.SubmitAsync("51", await fx.Driver.IssueCertificateAsync("15", person, TransferDriver.Today), TransferDriver.Today);
            await fx.Driver.WaitForStateAsync("15", accepted.TransferId, Timeout, Proto.TransferState.LetterSent);
            fx.OriginClock.Advance(TimeSpan.FromDays(45));

            using var http = fx.Http();
            var seen = await NodeFaults.PollAsync(async () =>
            {
                var page = await http.GetAsync("/");
                Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
                var dashboard = FromDashboard(await page.Content.ReadAsStringAsync());
                var service = Flatten(await fx.Ops("15").CountConditionsAsync(new CountConditionsRequest()));
                var output = new StringWriter();
                var code = await CliApp.RunAsync(["counts", "--json", "--node", origin.Address.ToString()], output, output, _ => null);
                Assert.True(code == ExitCodes.Ok, output.ToString());
                var cli = Flatten(JsonParser.Default.Parse<CountConditionsResponse>(output.ToString()));
                // Other work may move the numbers between the three reads: ask again until they agree.
                return dashboard.SequenceEqual(service) && cli.SequenceEqual(service) ? service : null;
            }, "the dashboard, the service and the CLI to agree", Timeout);

            Assert.True(seen["Overdue:51"] >= 1, string.Join(", ", seen));
            Assert.True(seen["WaitingOnProvinceSystem:"] >= 1, string.Join(", ", seen));
            Assert.Contains("Failed:", seen.Keys); // every condition is shown, zeros included
        }
        finally
        {
            origin.Simulator!.Resume();
        }
    }
}
