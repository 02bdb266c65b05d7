using Gateway.Domain.Enrolment;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Enrolment;

public class BenefitContinuityTests
{
    private static ContinuityDecision Decide(string lastPaid, string start, bool switches = false, int continuous = 60, int waiting = 6, bool veteran = false) =>
        BenefitContinuity.Decide(new ContinuityInput(YearMonth.Parse(lastPaid), YearMonth.Parse(start), switches, continuous, waiting, veteran));

    [Fact]
    public void No_gap_continues_benefits_from_the_first_new_month()
    {
        var d = Decide("2025-12", "2026-01");
        Assert.Equal(ContinuityOutcome.Continuous, d.Outcome);
        Assert.Equal(0, d.GapMonths);
        Assert.Equal(YearMonth.Parse("2026-01"), d.BenefitsFrom);
        Assert.Equal(0, d.WaitingPeriodMonths);
    }

    [Fact]
    public void Gap_of_three_months_may_be_back_paid_with_no_waiting_period_seed_002_note_6()
    {
        var d = Decide("2025-11", "2026-03");
        Assert.Equal(ContinuityOutcome.BackPaymentNoWaiting, d.Outcome);
        Assert.Equal(3, d.GapMonths);
        Assert.True(d.BackPaymentAllowed);
        Assert.Equal((YearMonth.Parse("2025-12"), YearMonth.Parse("2026-02")), (d.BackPaymentFrom!.Value, d.BackPaymentTo!.Value));
        Assert.Equal(0, d.WaitingPeriodMonths);
        Assert.Equal(YearMonth.Parse("2026-03"), d.BenefitsFrom);
    }

    [Fact]
    public void Gap_of_four_months_falls_under_the_regions_waiting_period_seed_002_note_6()
    {
        var d = Decide("2025-10", "2026-03", waiting: 6);
        Assert.Equal(ContinuityOutcome.WaitingPeriod, d.Outcome);
        Assert.Equal(4, d.GapMonths);
        Assert.False(d.BackPaymentAllowed);
        Assert.Equal(6, d.WaitingPeriodMonths);
        Assert.Equal(YearMonth.Parse("2026-09"), d.BenefitsFrom);
    }

    [Fact]
    public void Waiting_period_follows_the_region_and_crosses_the_year()
    {
        var d = Decide("2024-01", "2025-10", waiting: 3);
        Assert.Equal(3, d.WaitingPeriodMonths);
        Assert.Equal(YearMonth.Parse("2026-01"), d.BenefitsFrom);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(7)]
    public void Region_waiting_period_beyond_six_months_is_refused_seed_002(int waiting)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Decide("2025-01", "2026-01", waiting: waiting));
    }

    [Fact]
    public void Switching_scheme_after_two_years_keeps_the_three_month_rule_seed_002_note_7()
    {
        var d = Decide("2025-11", "2026-03", switches: true, continuous: 24);
        Assert.Equal(ContinuityOutcome.BackPaymentNoWaiting, d.Outcome);
        Assert.True(d.BackPaymentAllowed);

        var longGap = Decide("2025-10", "2026-03", switches: true, continuous: 24, waiting: 2);
        Assert.Equal(ContinuityOutcome.WaitingPeriod, longGap.Outcome);
        Assert.Equal(2, longGap.WaitingPeriodMonths);
    }

    [Fact]
    public void Switching_scheme_before_two_years_falls_under_the_region_rule_seed_002_note_7()
    {
        var d = Decide("2025-11", "2026-03", switches: true, continuous: 23, waiting: 4);
        Assert.Equal(ContinuityOutcome.WaitingPeriod, d.Outcome);
        Assert.False(d.BackPaymentAllowed);
        Assert.Equal(YearMonth.Parse("2026-07"), d.BenefitsFrom);
    }

    [Fact]
    public void Same_scheme_ignores_the_two_year_condition()
    {
        Assert.Equal(ContinuityOutcome.BackPaymentNoWaiting, Decide("2025-11", "2026-03", switches: false, continuous: 3).Outcome);
    }

    [Fact]
    public void Veterans_and_army_spouses_back_pay_any_gap_without_waiting_seed_003_article_12_3()
    {
        var d = Decide("2020-06", "2026-01", switches: true, continuous: 0, veteran: true);
        Assert.Equal(ContinuityOutcome.BackPaymentNoWaiting, d.Outcome);
        Assert.Equal(66, d.GapMonths);
        Assert.Equal(0, d.WaitingPeriodMonths);
        Assert.Equal(YearMonth.Parse("2026-01"), d.BenefitsFrom);
    }

    [Fact]
    public void Decisions_for_random_gaps_split_exactly_at_three_months()
    {
        var rng = new Random(3);
        for (var i = 0; i < 2000; i++)
        {
            var last = new YearMonth(rng.Next(2000, 2030), rng.Next(1, 13));
            var gap = rng.Next(0, 40);
            var waiting = rng.Next(0, 7);
            var d = BenefitContinuity.Decide(new ContinuityInput(last, last.AddMonths(gap + 1), false, 0, waiting));
            Assert.Equal(gap, d.GapMonths);
            Assert.Equal(gap is > 0 and <= 3, d.BackPaymentAllowed);
            Assert.Equal(gap > 3 ? waiting : 0, d.WaitingPeriodMonths);
            Assert.Equal(last.AddMonths(gap + 1 + d.WaitingPeriodMonths), d.BenefitsFrom);
        }
    }
}

public sealed class ContinuousMonthsTests
{
    private static (YearMonth, YearMonth) P(string from, string to) => (YearMonth.Parse(from), YearMonth.Parse(to));

    [Fact]
    public void Adjacent_and_overlapping_periods_make_one_run_and_a_gap_ends_it()
    {
        // 2019 alone (gap after it), then 2021-01..2022-06 and 2022-07..2024-12 adjacent, with an overlapping 2024 row.
        var periods = new[] { P("2019-01", "2019-12"), P("2021-01", "2022-06"), P("2022-07", "2024-12"), P("2024-01", "2024-12") };
        Assert.Equal(48, BenefitContinuity.ContinuousMonths(periods));
    }

    [Fact]
    public void No_periods_means_no_continuous_enrolment() => Assert.Equal(0, BenefitContinuity.ContinuousMonths([]));
}
