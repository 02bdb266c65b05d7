using Gateway.Harness.NodeHost;

namespace Gateway.Harness.Tests;

/// <summary>The run's one clock: the harness writes its offset, every node process reads the same one.</summary>
public sealed class ClusterClockTests
{
    private static readonly DateTimeOffset Eve = new(2025, 12, 31, 20, 0, 0, TimeSpan.FromHours(8));

    [Fact]
    public void A_node_reading_the_offset_file_sees_the_clusters_now_and_follows_it_forward()
    {
        using var clock = new ClusterClock(Eve);
        var node = new OffsetFileClock(clock.FilePath);
        AssertClose(Eve, clock.GetUtcNow());
        AssertClose(clock.GetUtcNow(), node.GetUtcNow());

        clock.Advance(TimeSpan.FromHours(4));
        Assert.Equal(TimeSpan.FromHours(4), clock.Moved);
        // The node re-reads the file at most every 100 ms.
        var until = DateTime.UtcNow.AddSeconds(5);
        while (node.GetUtcNow() < Eve.AddHours(4) && DateTime.UtcNow < until) Thread.Sleep(20);
        AssertClose(clock.GetUtcNow(), node.GetUtcNow());
        Assert.Equal(new DateOnly(2026, 1, 1), Gateway.Domain.Calendar.ChinaTime.DateOf(node.GetUtcNow()));
    }

    [Fact]
    public void The_cluster_clock_never_moves_back_and_a_node_keeps_its_last_offset_when_the_file_is_unreadable()
    {
        using var clock = new ClusterClock(Eve);
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.Advance(TimeSpan.FromMinutes(-1)));
        var node = new OffsetFileClock(clock.FilePath);
        AssertClose(Eve, node.GetUtcNow());

        File.WriteAllText(clock.FilePath, "not a number");
        Thread.Sleep(150);
        AssertClose(Eve, node.GetUtcNow());
        File.Delete(clock.FilePath);
        Thread.Sleep(150);
        AssertClose(Eve, node.GetUtcNow());
    }

    [Fact]
    public void The_offset_file_goes_with_the_clock()
    {
        string path;
        using (var clock = new ClusterClock(Eve)) path = clock.FilePath;
        Assert.False(File.Exists(path));
    }

    // Both read the system clock a moment apart; a second covers a loaded machine.
    private static void AssertClose(DateTimeOffset expected, DateTimeOffset actual) =>
        Assert.InRange((actual - expected).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(1));
}
