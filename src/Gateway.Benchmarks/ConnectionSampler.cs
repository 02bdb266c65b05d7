using Npgsql;

namespace Gateway.Benchmarks;

/// <summary>Highest PostgreSQL backend counts seen for one database while a phase ran.</summary>
public sealed record ConnectionPeak(string Database, int Connections, int Active, int IdleInTransaction, int WaitingOnLock);

/// <summary>
/// Samples pg_stat_activity every few milliseconds on one connection it opens up front (so it never competes
/// for a connection slot itself): how many backends each node holds, and how many of them wait on a lock.
/// </summary>
public sealed class ConnectionSampler : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);
    private readonly NpgsqlConnection _connection;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, int[]> _peaks = new();
    private readonly Task _loop;

    private ConnectionSampler(NpgsqlConnection connection, int maxConnections)
    {
        _connection = connection;
        MaxConnections = maxConnections;
        _loop = Task.Run(LoopAsync);
    }

    public static async Task<ConnectionSampler> StartAsync(string connectionString, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(BenchmarkConnections.Label(connectionString)) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT current_setting('max_connections')::int", connection);
        return new ConnectionSampler(connection, (int)(await cmd.ExecuteScalarAsync(ct))!);
    }

    public int MaxConnections { get; }

    public async Task<IReadOnlyList<ConnectionPeak>> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        lock (_peaks) return _peaks.OrderBy(p => p.Key).Select(p => new ConnectionPeak(p.Key, p.Value[0], p.Value[1], p.Value[2], p.Value[3])).ToList();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                // Each figure's own peak; they need not fall on the same sample.
                await using var cmd = new NpgsqlCommand("""
                    SELECT datname, count(*)::int,
                           (count(*) FILTER (WHERE state = 'active'))::int,
                           (count(*) FILTER (WHERE state = 'idle in transaction'))::int,
                           (count(*) FILTER (WHERE wait_event_type = 'Lock'))::int
                    FROM pg_stat_activity WHERE datname LIKE 'node\_%' AND application_name <> @self GROUP BY datname
                    """, _connection);
                cmd.Parameters.AddWithValue("self", BenchmarkConnections.ApplicationName);
                await using var reader = await cmd.ExecuteReaderAsync(_stop.Token);
                while (await reader.ReadAsync(_stop.Token))
                {
                    var db = reader.GetString(0);
                    lock (_peaks)
                    {
                        if (!_peaks.TryGetValue(db, out var peak)) _peaks[db] = peak = new int[4];
                        for (var i = 0; i < peak.Length; i++) peak[i] = Math.Max(peak[i], reader.GetInt32(i + 1));
                    }
                }
                await Task.Delay(Interval, _stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        await _connection.DisposeAsync();
        _stop.Dispose();
    }
}
