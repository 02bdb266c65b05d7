using Gateway.Domain.Calendar;
using Gateway.Domain.Seeds;

namespace Gateway.Domain.Tests.Calendar;

public class WorkingDayCalendarTests
{
    private static readonly WorkingDayCalendar Cal = SeedLibrary.Calendar;
    private const string Cn2025 = "CN-2025 (State Council 2024-11-12)";
    private const string Cn2026 = "CN-2026 (State Council 2025-11-04)";

    private static DateOnly D(string s) => DateOnly.Parse(s);

    [Theory] // DESIGN §3: the 2026 schedule
    [InlineData("2026-01-01", "2026-01-03")]
    [InlineData("2026-02-15", "2026-02-23")]
    [InlineData("2026-04-04", "2026-04-06")]
    [InlineData("2026-05-01", "2026-05-05")]
    [InlineData("2026-06-19", "2026-06-21")]
    [InlineData("2026-09-25", "2026-09-27")]
    [InlineData("2026-10-01", "2026-10-07")]
    [InlineData("2025-01-01", "2025-01-01")]
    [InlineData("2025-01-28", "2025-02-04")]
    [InlineData("2025-04-04", "2025-04-06")]
    [InlineData("2025-05-01", "2025-05-05")]
    [InlineData("2025-05-31", "2025-06-02")]
    [InlineData("2025-10-01", "2025-10-08")]
    public void Official_holidays_are_not_working_days(string from, string to)
    {
        for (var d = D(from); d <= D(to); d = d.AddDays(1))
            Assert.False(Cal.IsWorkingDay(d), $"{d} should be a holiday");
    }

    [Theory]
    [InlineData("2026-01-04")] [InlineData("2026-02-14")] [InlineData("2026-02-28")]
    [InlineData("2026-05-09")] [InlineData("2026-09-20")] [InlineData("2026-10-10")]
    [InlineData("2025-01-26")] [InlineData("2025-02-08")] [InlineData("2025-04-27")]
    [InlineData("2025-09-28")] [InlineData("2025-10-11")]
    public void Adjusted_weekend_days_are_working_days(string date)
    {
        Assert.True(D(date).DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday);
        Assert.True(Cal.IsWorkingDay(D(date)));
    }

    [Fact]
    public void Ordinary_weekdays_work_and_ordinary_weekends_rest()
    {
        Assert.True(Cal.IsWorkingDay(D("2026-03-04")));   // Wednesday
        Assert.False(Cal.IsWorkingDay(D("2026-03-07")));  // Saturday
        Assert.False(Cal.IsWorkingDay(D("2026-03-08")));  // Sunday
    }

    [Fact]
    public void Letter_received_2026_09_30_gets_info_table_deadline_after_national_day_and_Oct_10_adjusted_day()
    {
        // National rule (seed 001 item 11): information table within 10 working days of receiving the letter.
        // Oct 1-7 off; Oct 8, 9, 10 (adjusted Saturday), 12-16, 19, 20.
        var due = Cal.AddWorkingDays(D("2026-09-30"), 10);
        Assert.Equal(D("2026-10-20"), due.Date);
        Assert.Equal(Cn2026, due.Calendar);
        Assert.False(due.UsedFallback);
    }

    [Fact]
    public void Contact_letter_accepted_2026_02_13_counts_adjusted_Saturday_and_skips_spring_festival()
    {
        // Feb 14 (adjusted Saturday) is day 1; Feb 15-23 off; Feb 24-27 are days 2-5.
        Assert.Equal(D("2026-02-27"), Cal.AddWorkingDays(D("2026-02-13"), 5).Date);
    }

    [Fact]
    public void Within_N_working_days_does_not_count_the_start_day()
    {
        Assert.Equal(D("2026-03-09"), Cal.AddWorkingDays(D("2026-03-06"), 1).Date); // Friday → Monday
        Assert.Equal(D("2026-03-09"), Cal.AddWorkingDays(D("2026-03-07"), 1).Date); // Saturday → Monday
        Assert.Equal(D("2026-03-05"), Cal.AddWorkingDays(D("2026-03-04"), 1).Date); // Wednesday → Thursday
    }

    [Fact]
    public void Zero_days_is_the_start_itself_and_negative_days_are_refused()
    {
        Assert.Equal(D("2026-03-07"), Cal.AddWorkingDays(D("2026-03-07"), 0).Date);
        Assert.Throws<ArgumentOutOfRangeException>(() => Cal.AddWorkingDays(D("2026-03-07"), -1));
    }

    [Fact]
    public void Deadline_across_new_year_names_both_official_calendars()
    {
        // Dec 31 (1); Jan 1-3 off; Jan 4 adjusted Sunday (2); Jan 5, 6, 7.
        var due = Cal.AddWorkingDays(D("2025-12-30"), 5);
        Assert.Equal(D("2026-01-07"), due.Date);
        Assert.Equal($"{Cn2025} + {Cn2026}", due.Calendar);
        Assert.Null(due.FallbackNote);
    }

    [Fact]
    public void Deadline_reaching_unloaded_2027_falls_back_to_weekends_only_and_says_so()
    {
        // 2027's schedule is not published yet: Jan 1 2027 (Friday) counts as a working day under the fallback.
        var due = Cal.AddWorkingDays(D("2026-12-30"), 2);
        Assert.Equal(D("2027-01-01"), due.Date);
        Assert.True(due.UsedFallback);
        Assert.Contains("2027", due.FallbackNote);
        Assert.Contains("weekends-only", due.FallbackNote);
        Assert.Equal($"{Cn2026} + weekends-only 2027", due.Calendar);
        Assert.Contains("weekends-only", due.ToString());
    }

    [Fact]
    public void Weekends_only_fallback_applies_to_any_unloaded_year()
    {
        Assert.False(Cal.Covers(2024));
        Assert.True(Cal.IsWorkingDay(D("2024-10-01")));  // a holiday in reality, but 2024 is not loaded
        Assert.False(Cal.IsWorkingDay(D("2024-10-05")));
        var due = WorkingDayCalendar.Empty.AddWorkingDays(D("2026-09-30"), 1);
        Assert.Equal(D("2026-10-01"), due.Date);
        Assert.True(due.UsedFallback);
    }

    [Fact]
    public void A_year_added_at_runtime_changes_new_deadlines_while_earlier_results_keep_their_label()
    {
        var before = Cal.AddWorkingDays(D("2026-12-30"), 2);
        // Made-up test data standing in for an operator's 2027 file: Jan 1 off, nothing else.
        const string y2027 = """
            { "year": 2027, "authority": "Test Authority", "published": "2026-12-01",
              "holidays": [ { "name": "New Year's Day", "from": "2027-01-01", "to": "2027-01-01" } ],
              "adjustedWorkingDays": [] }
            """;
        var extended = Cal.WithYears(y2027);
        var after = extended.AddWorkingDays(D("2026-12-30"), 2);

        Assert.Equal(D("2027-01-04"), after.Date);
        Assert.False(after.UsedFallback);
        Assert.Equal($"{Cn2026} + CN-2027 (Test Authority 2026-12-01)", after.Calendar);
        Assert.Equal(D("2027-01-01"), before.Date);
        Assert.True(before.UsedFallback);
        Assert.False(Cal.Covers(2027)); // the original calendar is untouched
    }

    [Fact]
    public void Loading_a_year_again_replaces_it()
    {
        const string corrected = """
            { "year": 2026, "authority": "State Council", "published": "2025-12-20",
              "holidays": [ { "from": "2026-03-04", "to": "2026-03-04" } ], "adjustedWorkingDays": [] }
            """;
        var cal = Cal.WithYears(corrected);
        Assert.False(cal.IsWorkingDay(D("2026-03-04")));
        Assert.True(cal.IsWorkingDay(D("2026-10-05"))); // the old holidays are gone with the old file
        Assert.Equal(2, cal.Years.Count);
    }

    [Theory]
    [InlineData("""{ "year": 2026, "authority": "X", "published": "2025-11-04", "adjustedWorkingDays": ["2026-03-04"] }""")] // a Wednesday
    [InlineData("""{ "year": 2026, "authority": "X", "published": "2025-11-04", "holidays": [ { "from": "2027-01-01" } ] }""")]
    [InlineData("""{ "year": 2026, "authority": "X", "published": "2025-11-04", "holidays": [ { "from": "2026-05-05", "to": "2026-05-01" } ] }""")]
    [InlineData("""{ "year": 2026, "authority": "X", "published": "4 Nov 2025" }""")]
    [InlineData("""{ "authority": "X", "published": "2025-11-04" }""")]
    [InlineData("""{ "year": 2026, "authority": "X", "published": "2025-11-04", "holidays": [ { "from": "2026-01-04" } ], "adjustedWorkingDays": ["2026-01-04"] }""")]
    [InlineData("""{ "year": 2026, "authority": "", "published": "2025-11-04" }""")]
    [InlineData("""{ "year": "2026", "authority": "X", "published": "2025-11-04" }""")]
    [InlineData("not json")]
    public void Invalid_calendar_text_is_refused_with_a_format_error(string json)
    {
        Assert.Throws<FormatException>(() => WorkingDayCalendar.Parse(json));
        Assert.Throws<FormatException>(() => CalendarYear.Parse(json));
    }

    [Fact]
    public void Parse_accepts_an_array_of_years()
    {
        var cal = WorkingDayCalendar.Parse($"[{SeedLibrary.ReadText("calendars/2025.json")},{SeedLibrary.ReadText("calendars/2026.json")}]");
        Assert.Equal([2025, 2026], cal.Years.Select(y => y.Year));
        Assert.Equal(Cal.AddWorkingDays(D("2025-12-30"), 5), cal.AddWorkingDays(D("2025-12-30"), 5));
    }

    [Fact]
    public void Beijing_date_of_an_instant_is_taken_at_utc_plus_8()
    {
        Assert.Equal(D("2026-06-24"), ChinaTime.DateOf(DateTimeOffset.Parse("2026-06-23T16:30:00Z")));
        Assert.Equal(D("2026-06-23"), ChinaTime.DateOf(DateTimeOffset.Parse("2026-06-23T15:59:59Z")));
    }
}
