using Gateway.Domain.Calendar;
using Gateway.Domain.Seeds;

namespace Gateway.Domain.Tests.Calendar;

/// <summary>Generated cases over the loaded years and the fallback edge (seeded, so failures reproduce).</summary>
public class WorkingDayCalendarPropertyTests
{
    private static readonly WorkingDayCalendar Cal = SeedLibrary.Calendar;
    private static readonly DateOnly First = new(2024, 12, 1);

    [Fact]
    public void Deadlines_always_land_on_working_days_and_count_exactly_n_working_days()
    {
        var rng = new Random(20260930);
        for (var i = 0; i < 3000; i++)
        {
            var start = First.AddDays(rng.Next(0, 800)); // runs into 2027 (fallback) too
            var n = rng.Next(1, 41);
            var due = Cal.AddWorkingDays(start, n).Date;

            Assert.True(Cal.IsWorkingDay(due), $"{start}+{n} landed on {due}");
            Assert.True(due > start);
            Assert.Equal(n, Cal.WorkingDaysBetween(start, due));
            Assert.Equal(n - 1, Cal.WorkingDaysBetween(start, due.AddDays(-1))); // no earlier day would do
        }
    }

    [Fact]
    public void AddWorkingDays_is_strictly_monotone_in_n_and_additive()
    {
        var rng = new Random(4242);
        for (var i = 0; i < 400; i++)
        {
            var start = First.AddDays(rng.Next(0, 800));
            var previous = Cal.AddWorkingDays(start, 0).Date;
            for (var n = 1; n <= 30; n++)
            {
                var current = Cal.AddWorkingDays(start, n).Date;
                Assert.True(current > previous, $"{start}: n={n} gave {current}, n={n - 1} gave {previous}");
                previous = current;
            }
            var a = rng.Next(1, 15);
            var b = rng.Next(1, 15);
            Assert.Equal(Cal.AddWorkingDays(start, a + b).Date, Cal.AddWorkingDays(Cal.AddWorkingDays(start, a).Date, b).Date);
        }
    }

    [Fact]
    public void Fallback_is_reported_exactly_when_a_counted_day_lies_outside_the_loaded_years()
    {
        var rng = new Random(7);
        for (var i = 0; i < 1000; i++)
        {
            var start = First.AddDays(rng.Next(0, 800));
            var n = rng.Next(1, 30);
            var due = Cal.AddWorkingDays(start, n);
            var touched = Enumerable.Range(1, due.Date.DayNumber - start.DayNumber)
                .Select(k => start.AddDays(k).Year).Distinct();
            Assert.Equal(touched.Any(y => !Cal.Covers(y)), due.UsedFallback);
        }
    }
}
