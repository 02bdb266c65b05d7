using Gateway.Domain.Calendar;
using Gateway.Domain.Rules;
using Gateway.Domain.Seeds;
using Gateway.Domain.Transfers;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Transfers;

public class TransferDeadlinesTests
{
    private static readonly RegimeBook Book = SeedLibrary.Regimes;
    private static readonly WorkingDayCalendar Cal = SeedLibrary.Calendar;
    private static readonly ProvinceCode InnerMongolia = new("15"), Sichuan = new("51"), Ningxia = new("64"),
        Guangdong = new("44"), Jiangsu = new("32");

    private static DateOnly D(string s) => DateOnly.Parse(s);

    private static TransferSchedule Compute(ProvinceCode origin, ProvinceCode destination, TransferDates dates) =>
        TransferDeadlines.Compute(origin, destination, Book, Cal, dates);

    [Fact]
    public void Inner_Mongolia_origin_to_Sichuan_destination_follows_each_sides_rule()
    {
        // DESIGN §3: letter 5 (Sichuan), table 5 and balance 5 more (Inner Mongolia), completion 3 and whole 24 (Sichuan).
        var s = Compute(InnerMongolia, Sichuan, new TransferDates(
            AcceptedOn: D("2026-03-02"), LetterSentOn: D("2026-03-03"), LetterReceivedOn: D("2026-03-03"),
            InfoTableReceivedOn: D("2026-03-12")));

        AssertStep(s, TransferStep.ContactLetter, Sichuan, 5, "2026-03-09");
        AssertStep(s, TransferStep.InfoTable, InnerMongolia, 5, "2026-03-10");
        AssertStep(s, TransferStep.Balance, InnerMongolia, 5, "2026-03-17");
        AssertStep(s, TransferStep.Completion, Sichuan, 3, "2026-03-17");
        AssertStep(s, TransferStep.Overall, Sichuan, 24, "2026-04-03");
        Assert.All(s.Steps, st => Assert.False(st.IsProjected));
        Assert.Equal(D("2026-03-17"), s.CompleteBy);
    }

    [Fact]
    public void Sichuan_transfer_in_completes_within_3_working_days()
    {
        // Seed 004 item 16: 3 days after receiving table and money. Sep 25-27 2026 are off.
        var s = Compute(Guangdong, Sichuan, new TransferDates(AcceptedOn: D("2026-09-01"), LetterSentOn: D("2026-09-02"),
            InfoTableReceivedOn: D("2026-09-24")));
        AssertStep(s, TransferStep.Completion, Sichuan, 3, "2026-09-30");
    }

    [Fact]
    public void National_destination_completes_within_5_working_days()
    {
        var s = Compute(Sichuan, Guangdong, new TransferDates(AcceptedOn: D("2026-09-01"), LetterSentOn: D("2026-09-02"),
            InfoTableReceivedOn: D("2026-09-24")));
        AssertStep(s, TransferStep.Completion, Guangdong, 5, "2026-10-09");
    }

    [Fact]
    public void Letter_received_2026_09_30_gets_info_table_deadline_after_national_day_and_Oct_10_adjusted_day()
    {
        var s = Compute(Jiangsu, Guangdong, new TransferDates(AcceptedOn: D("2026-09-28"), LetterSentOn: D("2026-09-29"),
            LetterReceivedOn: D("2026-09-30")));
        var table = AssertStep(s, TransferStep.InfoTable, Jiangsu, 10, "2026-10-20");
        Assert.Equal("CN-2026 (State Council 2025-11-04)", table.Due.Calendar);
    }

    [Fact]
    public void Inner_Mongolia_origin_has_5_days_for_the_table_and_5_more_for_the_balance_seed_000()
    {
        var s = Compute(InnerMongolia, Guangdong, new TransferDates(AcceptedOn: D("2026-03-02"), LetterReceivedOn: D("2026-03-03")));
        var table = AssertStep(s, TransferStep.InfoTable, InnerMongolia, 5, "2026-03-10");
        var balance = AssertStep(s, TransferStep.Balance, InnerMongolia, 5, "2026-03-17");
        Assert.Equal(10, Cal.WorkingDaysBetween(table.StartsOn, balance.Due.Date));
        // On Mar 11 the table is late but the balance is not yet.
        Assert.Equal([TransferStep.InfoTable], s.Overdue(D("2026-03-11")).Select(o => o.Step));
    }

    [Fact]
    public void Ningxia_overall_15_comes_before_the_5_10_5_steps_and_alone_makes_the_transfer_overdue_seed_002()
    {
        // Every step on time, yet the overall cap (Jun 23) falls before the completion step (Jun 29).
        var s = Compute(Guangdong, Ningxia, new TransferDates(AcceptedOn: D("2026-06-01"), LetterSentOn: D("2026-06-05"),
            InfoTableReceivedOn: D("2026-06-22")));

        AssertStep(s, TransferStep.InfoTable, Guangdong, 10, "2026-06-22");
        var completion = AssertStep(s, TransferStep.Completion, Ningxia, 5, "2026-06-29");
        var overall = AssertStep(s, TransferStep.Overall, Ningxia, 15, "2026-06-23");
        Assert.True(s.OverallBeforeCompletionStep);
        Assert.Equal(overall.Due.Date, s.CompleteBy);

        Assert.Empty(s.Overdue(D("2026-06-23")));
        Assert.Equal([TransferStep.Overall], s.Overdue(D("2026-06-24")).Select(o => o.Step));
        Assert.False(completion.IsOverdueOn(D("2026-06-24")));
    }

    [Fact]
    public void Overdue_at_an_instant_uses_the_Beijing_date()
    {
        var s = Compute(Guangdong, Ningxia, new TransferDates(AcceptedOn: D("2026-06-01"), LetterSentOn: D("2026-06-05"),
            InfoTableReceivedOn: D("2026-06-22")));
        Assert.Empty(s.Overdue(DateTimeOffset.Parse("2026-06-23T15:59:00Z")));   // 23:59 in Beijing
        Assert.Single(s.Overdue(DateTimeOffset.Parse("2026-06-23T16:01:00Z")));  // already Jun 24 in Beijing
    }

    [Fact]
    public void From_acceptance_alone_the_whole_chain_is_projected()
    {
        var s = Compute(Guangdong, Jiangsu, new TransferDates(AcceptedOn: D("2026-03-02")));
        Assert.Equal(TransferSteps.All, s.Steps.Select(x => x.Step));
        Assert.False(s.For(TransferStep.ContactLetter)!.IsProjected);
        Assert.True(s.For(TransferStep.InfoTable)!.IsProjected);
        Assert.True(s.For(TransferStep.Completion)!.IsProjected);
        Assert.Equal(D("2026-03-09"), s.For(TransferStep.ContactLetter)!.Due.Date);
        Assert.Equal(D("2026-03-23"), s.For(TransferStep.InfoTable)!.Due.Date);
        Assert.Equal(D("2026-03-23"), s.For(TransferStep.Balance)!.Due.Date); // national: balance due with the table
        Assert.Equal(D("2026-03-30"), s.For(TransferStep.Completion)!.Due.Date);
        Assert.Equal(D("2026-03-30"), s.For(TransferStep.Overall)!.Due.Date);
    }

    [Fact]
    public void A_late_letter_is_overdue_until_sent_and_then_shows_as_late()
    {
        var open = Compute(Guangdong, Jiangsu, new TransferDates(AcceptedOn: D("2026-03-02")));
        Assert.Equal([TransferStep.ContactLetter], open.Overdue(D("2026-03-10")).Select(o => o.Step));

        var sent = Compute(Guangdong, Jiangsu, new TransferDates(AcceptedOn: D("2026-03-02"), LetterSentOn: D("2026-03-11")));
        var letter = sent.For(TransferStep.ContactLetter)!;
        Assert.True(letter.WasLate);
        Assert.Empty(sent.Overdue(D("2026-03-12")));
        Assert.Equal(D("2026-03-25"), sent.For(TransferStep.InfoTable)!.Due.Date); // counts from the actual letter
    }

    [Fact]
    public void Completed_and_closed_transfers_have_nothing_overdue()
    {
        var done = Compute(Guangdong, Jiangsu, new TransferDates(AcceptedOn: D("2026-03-02"), LetterSentOn: D("2026-03-03"),
            InfoTableReceivedOn: D("2026-03-10"), CompletedOn: D("2026-03-12")));
        Assert.Empty(done.Overdue(D("2026-12-31")));

        var withdrawn = Compute(Guangdong, Jiangsu, new TransferDates(AcceptedOn: D("2026-03-02"), ClosedOn: D("2026-03-03")));
        Assert.True(withdrawn.IsClosed);
        Assert.Empty(withdrawn.Overdue(D("2026-12-31")));
    }

    [Fact]
    public void Origin_copy_without_the_acceptance_date_still_gets_its_own_steps()
    {
        var s = Compute(InnerMongolia, Sichuan, new TransferDates(LetterReceivedOn: D("2026-03-03")));
        Assert.Null(s.For(TransferStep.ContactLetter));
        Assert.Null(s.For(TransferStep.Overall));
        Assert.Equal(D("2026-03-10"), s.For(TransferStep.InfoTable)!.Due.Date);
        Assert.Equal(D("2026-03-20"), s.For(TransferStep.Completion)!.Due.Date); // projected: balance Mar 17 + 3
    }

    [Fact]
    public void Deadlines_land_on_working_days_and_count_their_limits_for_generated_transfers()
    {
        var provinces = SeedLibrary.Provinces.All.Select(p => p.Code).ToArray();
        var rng = new Random(15_51_64);
        for (var i = 0; i < 1500; i++)
        {
            var origin = provinces[rng.Next(provinces.Length)];
            var destination = provinces[rng.Next(provinces.Length)];
            var accepted = new DateOnly(2025, 1, 1).AddDays(rng.Next(0, 700));
            DateOnly? letter = rng.Next(3) > 0 ? accepted.AddDays(rng.Next(0, 9)) : null;
            DateOnly? table = letter is { } l && rng.Next(2) > 0 ? l.AddDays(rng.Next(0, 16)) : null;

            var s = Compute(origin, destination, new TransferDates(AcceptedOn: accepted, LetterSentOn: letter, InfoTableReceivedOn: table));

            Assert.Equal(5, s.Steps.Count);
            foreach (var step in s.Steps)
            {
                Assert.True(Cal.IsWorkingDay(step.Due.Date), $"{origin}->{destination} {step.Step} due {step.Due}");
                Assert.True(step.Due.Date >= step.StartsOn);
                Assert.Equal(step.LimitDays, Cal.WorkingDaysBetween(step.StartsOn, step.Due.Date));
                var side = step.Step.PerformedBy() == TransferSide.Origin ? origin : destination;
                Assert.Equal(side, step.GoverningProvince);
                Assert.Equal(Book.For(side).LimitFor(step.Step), step.LimitDays);
            }
            Assert.Equal(new[] { s.For(TransferStep.Completion)!.Due.Date, s.For(TransferStep.Overall)!.Due.Date }.Min(), s.CompleteBy);
        }
    }

    private static StepDeadline AssertStep(TransferSchedule s, TransferStep step, ProvinceCode governing, int limit, string due)
    {
        var d = s.For(step);
        Assert.NotNull(d);
        Assert.Equal(governing, d.GoverningProvince);
        Assert.Equal(limit, d.LimitDays);
        Assert.Equal(D(due), d.Due.Date);
        return d;
    }
}
