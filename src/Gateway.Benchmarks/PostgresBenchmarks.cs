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

    private async Task<NpgsqlDataSource> ScratchAsync(CancellationToken ct)
    {
        if (_scratch is not null) return _scratch;
        var connectionString = await cluster.Postgres.CreateDatabaseAsync("benchmark_scratch", ct);
        _scratch = BenchmarkConnections.Open(connectionString);
        await using var cmd = _scratch.CreateCommand("""
            CREATE TABLE rows (id bigserial PRIMARY KEY, payload bytea NOT NULL);
            CREATE TABLE counters (name text PRIMARY KEY, n integer NOT NULL);
            """);
        await cmd.ExecuteNonQueryAsync(ct);
        return _scratch;
    }

    /// <summary>Independent one-row transactions: concurrent commits can share a WAL flush.</summary>
    public async Task<LoadResult> IndependentCommitsAsync(int payloadBytes, CancellationToken ct)
    {
        var db = await ScratchAsync(ct);
        var payload = new byte[payloadBytes];
        return await LoadRunner.RunAsync("PostgreSQL: insert + commit", settings.Concurrency, settings.Warmup, settings.Duration,
            async (_, _, token) =>
            {
                await using var conn = await db.OpenConnectionAsync(token);
                await using var tx = await conn.BeginTransactionAsync(token);
                await InsertAsync(conn, tx, payload, token);
                await tx.CommitAsync(token);
            }, ct);
    }

    /// <summary>
    /// The same, after bumping one shared counter row first, as numbering a document from a per-region sequence
    /// does: the row lock is held until commit, so the transactions queue one behind another's WAL flush.
    /// </summary>
    public async Task<LoadResult> SharedCounterCommitsAsync(int payloadBytes, CancellationToken ct)
    {
        var db = await ScratchAsync(ct);
        var payload = new byte[payloadBytes];
        return await LoadRunner.RunAsync("PostgreSQL: shared counter + insert + commit", settings.Concurrency, settings.Warmup, settings.Duration,
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
    public async Task<LoadResult> TransferReadsAsync(string holder, IReadOnlyList<string> transferIds, CancellationToken ct)
    {
        await using var db = BenchmarkConnections.Open(cluster[holder].ConnectionString);
        return await LoadRunner.RunAsync("PostgreSQL: GetTransfer's reads", settings.Concurrency, settings.Warmup, settings.Duration,
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
    public async ValueTask DisposeAsync()
    {
        if (_scratch is not null) await _scratch.DisposeAsync();
        _scratch = null;
    }
}
