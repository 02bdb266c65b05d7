using Gateway.Harness;
using Gateway.Node.Transfers;
using Gateway.Storage;
using Npgsql;

namespace Gateway.Benchmarks;

/// <summary>
/// PostgreSQL baselines on the nodes' own server (same durability settings), with plain Npgsql and the same
/// number of concurrent callers: what the database alone allows for the work inside a node call.
/// </summary>
public sealed class PostgresBenchmarks(GatewayCluster cluster, BenchmarkSettings settings) : IAsyncDisposable
{
    private NpgsqlDataSource? _scratch;
    private string? _scratchConnectionString;

    private async Task<NpgsqlDataSource> ScratchAsync(CancellationToken ct)
    {
        if (_scratch is not null) return _scratch;
        if (_scratchConnectionString is not null) return _scratch = BenchmarkConnections.Open(_scratchConnectionString);
        var connectionString = _scratchConnectionString = await cluster.Postgres.CreateDatabaseAsync("benchmark_scratch", ct);
        _scratch = BenchmarkConnections.Open(connectionString);
        await using var cmd = _scratch.CreateCommand("""
            CREATE TABLE rows (id bigserial PRIMARY KEY, payload bytea NOT NULL);
            CREATE TABLE counters (name text PRIMARY KEY, n integer NOT NULL);
            """);
        await cmd.ExecuteNonQueryAsync(ct);
        return _scratch;
    }

    /// <summary>Independent one-row transactions: concurrent commits can share a WAL flush.</summary>
    public async Task<LoadResult> IndependentCommitsAsync(int payloadBytes, TimeSpan warmup, CancellationToken ct, TimeSpan? duration = null)
    {
        var db = await ScratchAsync(ct);
        var payload = new byte[payloadBytes];
        return await LoadRunner.RunAsync("PostgreSQL: insert + commit", settings.Concurrency, warmup, duration ?? settings.Duration,
            (_, _, token) => InsertCommitAsync(db, payload, token), ct);
    }

    /// <summary>
    /// One caller, one insert + durable commit after another: the latency of the single commit every step of a
    /// transfer pays at least once (the single-transfer baseline multiplies it by <see cref="TransferPath.PathCommits"/>).
    /// </summary>
    public async Task<LatencySummary> SequentialCommitsAsync(int payloadBytes, int count, CancellationToken ct)
    {
        var db = await ScratchAsync(ct);
        var payload = new byte[payloadBytes];
        for (var i = 0; i < 20; i++) await InsertCommitAsync(db, payload, ct); // connection open, plans cached
        var samples = new List<long>(count);
        for (var i = 0; i < count; i++)
        {
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            await InsertCommitAsync(db, payload, ct);
            samples.Add(System.Diagnostics.Stopwatch.GetTimestamp() - start);
        }
        return LatencySummary.FromTicks(samples);
    }

    /// <summary>
    /// Insert + commit with as many callers as the burst has transfers, through a pool capped like one node's
    /// (the harness gives each node 30 of the server's 100 connections): callers queue for a connection, as the
    /// burst's calls do. Divided by <see cref="TransferPath.BurstCommits"/> it is the burst's baseline.
    /// </summary>
    public async Task<LoadResult> CommitsAtAsync(int callers, int payloadBytes, TimeSpan warmup, CancellationToken ct)
    {
        // The nodes' idle pooled connections still count against the server's max_connections: never ask for more than is free.
        int free;
        await using (var probe = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(BenchmarkConnections.Label(cluster.Postgres.ConnectionString())) { Pooling = false }.ConnectionString))
        {
            await probe.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand("SELECT current_setting('max_connections')::int - (SELECT count(*) FROM pg_stat_activity)::int", probe);
            free = (int)(await cmd.ExecuteScalarAsync(ct))!;
        }
        await ScratchAsync(ct);
        await ReleaseAsync(); // its 16 idle connections would count too
        var pool = Math.Clamp(Math.Min(callers, free - 8), 1, NodePoolSize);
        var builder = new NpgsqlConnectionStringBuilder(BenchmarkConnections.Label(_scratchConnectionString!)) { MaxPoolSize = pool, Timeout = 60 };
        await using var db = BenchmarkConnections.Open(builder.ConnectionString);
        var payload = new byte[payloadBytes];
        return await LoadRunner.RunAsync($"PostgreSQL: insert + commit, {callers} callers, pool of {pool}", callers, warmup, settings.Duration,
            (_, _, token) => InsertCommitAsync(db, payload, token), ct);
    }

    /// <summary>What the harness caps each node's pool at (GatewayCluster: "Maximum Pool Size=30").</summary>
    public const int NodePoolSize = 30;

    private static async Task InsertCommitAsync(NpgsqlDataSource db, byte[] payload, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await InsertAsync(conn, tx, payload, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// The same, after bumping one shared counter row first, as numbering a document from a per-region sequence
    /// does: the row lock is held until commit, so the transactions queue one behind another's WAL flush.
    /// </summary>
    public async Task<LoadResult> SharedCounterCommitsAsync(int payloadBytes, TimeSpan warmup, CancellationToken ct, TimeSpan? duration = null)
    {
        var db = await ScratchAsync(ct);
        var payload = new byte[payloadBytes];
        return await LoadRunner.RunAsync("PostgreSQL: shared counter + insert + commit", settings.Concurrency, warmup, duration ?? settings.Duration,
            async (_, _, token) =>
            {
                await using var conn = await db.OpenConnectionAsync(token);
                await using var tx = await conn.BeginTransactionAsync(token);
                await using (var bump = new NpgsqlCommand(
                    "INSERT INTO counters VALUES ('one', 1) ON CONFLICT (name) DO UPDATE SET n = counters.n + 1 RETURNING n", conn, tx))
                    await bump.ExecuteScalarAsync(token);
                await InsertAsync(conn, tx, payload, token);
                await tx.CommitAsync(token);
            }, ct);
    }

    /// <summary>The two reads GetTransfer makes (the row, then its timeline), with the node's own SQL.</summary>
    public async Task<LoadResult> TransferReadsAsync(string holder, IReadOnlyList<string> transferIds, TimeSpan warmup, CancellationToken ct)
    {
        await using var db = BenchmarkConnections.Open(cluster[holder].ConnectionString);
        return await LoadRunner.RunAsync("PostgreSQL: GetTransfer's reads", settings.Concurrency, warmup, settings.Duration,
            async (_, n, token) =>
            {
                var id = transferIds[(int)(n % transferIds.Count)];
                await using var conn = await db.OpenConnectionAsync(token);
                if (await TransferStore.FindAsync(conn, null, id, forUpdate: false, token) is null) throw new InvalidOperationException($"no transfer {id}");
                await TransferStore.TimelineAsync(conn, null, id, token);
            }, ct);
    }

    private static async Task InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, byte[] payload, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand("INSERT INTO rows (payload) VALUES (@p)", conn, tx);
        insert.Parameters.AddWithValue("p", payload);
        await insert.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Closes the scratch pool so its idle connections do not count against the server's max_connections later.</summary>
    public ValueTask DisposeAsync() => ReleaseAsync();

    private async ValueTask ReleaseAsync()
    {
        if (_scratch is not null) await _scratch.DisposeAsync();
        _scratch = null;
    }
}
