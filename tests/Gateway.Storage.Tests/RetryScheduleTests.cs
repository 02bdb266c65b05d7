namespace Gateway.Storage.Tests;

public sealed class RetryScheduleTests
{
    [Fact]
    public void Delay_grows_by_the_factor_and_stops_at_the_cap()
    {
        var schedule = new RetrySchedule(TimeSpan.FromSeconds(30), 2.0, TimeSpan.FromMinutes(5), 10) { Jitter = 0 };

        var delays = Enumerable.Range(1, 6).Select(a => schedule.DelayAfter(a).TotalSeconds);

        Assert.Equal([30, 60, 120, 240, 300, 300], delays);
    }

    [Fact]
    public void Jitter_spreads_delays_within_the_configured_fraction()
    {
        var schedule = new RetrySchedule(TimeSpan.FromSeconds(100), 1.0, TimeSpan.FromSeconds(100), 5) { Jitter = 0.2 };
        var random = new Random(7);

        var delays = Enumerable.Range(0, 500).Select(_ => schedule.DelayAfter(1, random).TotalSeconds).ToList();

        Assert.All(delays, d => Assert.InRange(d, 80, 120));
        Assert.True(delays.Max() - delays.Min() > 20, "jitter should actually spread the delays");
    }
}
