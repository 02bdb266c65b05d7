using System.Globalization;

namespace Gateway.Harness.NodeHost;

/// <summary>
/// The system clock plus the offset the harness writes to one file shared by every node of a run (ClusterClock), so
/// all of them move together and envelopes stay fresh between them. The file is read again at most every 100 ms.
/// Timers and timestamps stay on the system clock: only "now" moves.
/// </summary>
public sealed class OffsetFileClock(string path) : TimeProvider
{
    private static readonly long RereadTicks = TimeSpan.FromMilliseconds(100).Ticks;
    private readonly Lock _gate = new();
    private long _offsetTicks = Read(path, 0);
    private long _readAt = DateTime.UtcNow.Ticks;

    public TimeSpan Offset => TimeSpan.FromTicks(Volatile.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow()
    {
        var now = System.GetUtcNow();
        if (now.UtcTicks - Volatile.Read(ref _readAt) >= RereadTicks)
        {
            lock (_gate)
            {
                if (now.UtcTicks - _readAt >= RereadTicks)
                {
                    Volatile.Write(ref _offsetTicks, Read(path, _offsetTicks));
                    Volatile.Write(ref _readAt, now.UtcTicks);
                }
            }
        }
        return now + Offset;
    }

    // The harness replaces the file by a rename, so a read sees the old offset or the new one; anything else keeps the last.
    private static long Read(string path, long last)
    {
        try
        {
            return long.TryParse(File.ReadAllText(path).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks) ? ticks : last;
        }
        catch (IOException) { return last; }
        catch (UnauthorizedAccessException) { return last; }
    }
}
