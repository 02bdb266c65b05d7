using System.Globalization;

namespace Gateway.Harness;

/// <summary>
/// One clock for a whole cluster: the system clock plus an offset that only moves forward. The harness process reads it
/// directly (workload dates, simulated systems, forged envelopes); node processes read the same offset from
/// <see cref="FilePath"/> (Gateway.Harness.NodeHost), so every node's "now" moves at once and envelopes signed by one
/// stay fresh at the others.
/// </summary>
public sealed class ClusterClock : TimeProvider, IDisposable
{
    private readonly string _directory;
    private long _offsetTicks;

    /// <summary>A clock that reads <paramref name="start"/> now and runs on from there.</summary>
    public ClusterClock(DateTimeOffset start)
    {
        _directory = Directory.CreateTempSubdirectory("gateway-clock-").FullName;
        FilePath = Path.Combine(_directory, "offset");
        Set(start - System.GetUtcNow());
        _startOffsetTicks = _offsetTicks;
    }

    private readonly long _startOffsetTicks;

    /// <summary>How far the clock has been moved since it started.</summary>
    public TimeSpan Moved => Offset - TimeSpan.FromTicks(_startOffsetTicks);

    /// <summary>The offset file node processes read (ticks, invariant culture).</summary>
    public string FilePath { get; }

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;

    /// <summary>Moves the clock forward by <paramref name="by"/> (never back: envelopes signed before would look sent in the future).</summary>
    public void Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(by), "The cluster clock only moves forward.");
        Set(Offset + by);
    }

    // The file first, by a rename so a node never reads half a number; then this process, so nothing here runs ahead of the nodes.
    private void Set(TimeSpan offset)
    {
        var temp = FilePath + ".tmp";
        File.WriteAllText(temp, offset.Ticks.ToString(CultureInfo.InvariantCulture));
        File.Move(temp, FilePath, overwrite: true);
        Interlocked.Exchange(ref _offsetTicks, offset.Ticks);
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
