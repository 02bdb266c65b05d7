using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;

namespace Gateway.Benchmarks;

/// <summary>Highest figures one Npgsql pool reported while a phase ran.</summary>
public sealed record PoolPeak(string Database, long Used, long Idle, long PendingRequests);

/// <summary>
/// Listens to Npgsql's own metrics in this process (the nodes run here), polling the observable ones every
/// few milliseconds: connections in use, idle, and callers queued waiting for a connection, per pool.
/// The benchmark's own pools carry <see cref="BenchmarkConnections.ApplicationName"/> and are left out.
/// </summary>
public sealed partial class PoolSampler : IAsyncDisposable
{
    private const string Count = "db.client.connection.count";
    private const string Pending = "db.client.connection.npgsql.pending_requests";
    private readonly MeterListener _listener = new();
    private readonly Dictionary<(string Pool, string Figure), long> _current = new();
    private readonly Dictionary<(string Pool, string Figure), long> _peak = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public PoolSampler()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith("Npgsql", StringComparison.Ordinal) && instrument.Name is Count or Pending)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public async Task<IReadOnlyList<PoolPeak>> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        lock (_peak)
        {
            return _peak.Keys.Select(k => k.Pool).Distinct().OrderBy(p => p)
                .Select(p => new PoolPeak(p, _peak.GetValueOrDefault((p, "used")), _peak.GetValueOrDefault((p, "idle")), _peak.GetValueOrDefault((p, Pending))))
                .ToList();
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            _listener.RecordObservableInstruments();
            try { await Task.Delay(20, _stop.Token); }
            catch (OperationCanceledException) { return; }
        }
    }

    private void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? pool = null, state = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "db.client.connection.pool.name") pool = tag.Value?.ToString();
            else if (tag.Key == "db.client.connection.state") state = tag.Value?.ToString();
        }
        if (pool is null || pool.Contains(BenchmarkConnections.ApplicationName, StringComparison.OrdinalIgnoreCase)) return;
        var key = (DatabaseOf(pool), instrument.Name == Count ? state ?? "?" : Pending);
        lock (_peak)
        {
            // Observable instruments report the current value; plain up-down counters report changes.
            var now = instrument.IsObservable ? value : _current.GetValueOrDefault(key) + value;
            _current[key] = now;
            _peak[key] = Math.Max(_peak.GetValueOrDefault(key), now);
        }
    }

    private static string DatabaseOf(string pool) => DatabaseName().Match(pool) is { Success: true } m ? m.Groups[1].Value : pool;

    [GeneratedRegex("Database=([^;]+)", RegexOptions.IgnoreCase)]
    private static partial Regex DatabaseName();

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _listener.Dispose();
        _stop.Dispose();
    }
}
