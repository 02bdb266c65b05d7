using Gateway.Node.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Node.Tests;

/// <summary>A calendar year dropped into the node's calendar directory takes effect while it runs.</summary>
public sealed class CalendarReloadTests : IDisposable
{
    // Test data, not an official schedule: New Year's Day 2027 off, so a deadline across it moves by one working day.
    private const string Test2027 = """
        { "year": 2027, "authority": "test data", "published": "2026-12-01",
          "holidays": [ { "name": "New Year's Day", "from": "2027-01-01", "to": "2027-01-01" } ],
          "adjustedWorkingDays": [] }
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("gateway-calendars-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private ReferenceData Start() => new(Options.Create(new NodeOptions { Province = "15", CalendarDirectory = _directory }),
        NullLogger<ReferenceData>.Instance);

    [Fact]
    public async Task A_new_year_file_is_picked_up_without_a_restart_and_recomputes_a_deadline_that_had_fallen_back()
    {
        using var reference = Start();
        var start = new DateOnly(2026, 12, 28); // Monday; five working days run into 2027
        var before = reference.Calendar.AddWorkingDays(start, 5);
        Assert.True(before.UsedFallback);
        Assert.Equal(new DateOnly(2027, 1, 4), before.Date); // weekends only: Tue..Fri and Mon

        await File.WriteAllTextAsync(Path.Combine(_directory, "2027.json"), Test2027);
        await WaitUntilAsync(() => reference.Calendar.Covers(2027));

        var after = reference.Calendar.AddWorkingDays(start, 5);
        Assert.False(after.UsedFallback);
        Assert.Equal(new DateOnly(2027, 1, 5), after.Date); // 1 January is off now
    }

    [Fact]
    public async Task A_file_that_does_not_parse_leaves_the_calendar_in_force()
    {
        using var reference = Start();
        await File.WriteAllTextAsync(Path.Combine(_directory, "2027.json"), Test2027);
        await WaitUntilAsync(() => reference.Calendar.Covers(2027));

        await File.WriteAllTextAsync(Path.Combine(_directory, "2028.json"), "{ not a calendar");
        Assert.False(reference.Reload());

        Assert.True(reference.Calendar.Covers(2027));
        Assert.False(reference.Calendar.Covers(2028));
    }

    private static async Task WaitUntilAsync(Func<bool> probe)
    {
        var until = DateTime.UtcNow.AddSeconds(15);
        while (!probe())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("The calendar directory was not reloaded within 15 s.");
            await Task.Delay(50);
        }
    }
}
