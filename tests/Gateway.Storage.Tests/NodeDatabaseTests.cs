using Npgsql;
using Polly.CircuitBreaker;

namespace Gateway.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class NodeDatabaseTests(PostgresFixture fixture) : DatabaseTest(fixture, "nodedb")
{
    private static readonly NodeDatabaseOptions FastRetries = new()
    {
        MaxRetries = 2,
        RetryDelay = TimeSpan.FromMilliseconds(5),
        MaxRetryDelay = TimeSpan.FromMilliseconds(20),
    };

    // Makes the server itself raise the given SQLSTATE, as a real conflict would.
    private static async Task RaiseAsync(NpgsqlConnection c, NpgsqlTransaction t, string sqlState, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = '{sqlState}'; END $$", c, t);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    [Theory]
    [InlineData(2, 30)]
    [InlineData(8, 90)]
    public void Pool_size_follows_the_core_count_unless_the_connection_string_sets_it(int cores, int expected)
    {
        var derived = new NpgsqlConnectionStringBuilder(NodeDatabase.WithPoolSize("Host=db;Database=node_15", cores));
        var own = new NpgsqlConnectionStringBuilder(NodeDatabase.WithPoolSize("Host=db;Database=node_15;Maximum Pool Size=7", cores));
        var synonym = new NpgsqlConnectionStringBuilder(NodeDatabase.WithPoolSize("Host=db;Database=node_15;MaxPoolSize=9", cores));

        Assert.Equal(expected, derived.MaxPoolSize);
        Assert.Equal(7, own.MaxPoolSize);
        Assert.Equal(9, synonym.MaxPoolSize);
    }

    [Fact]
    public async Task Serialization_failure_repeats_the_whole_unit_and_commits_once()
    {
        await using var db = new NodeDatabase(Db.DataSource, FastRetries);
        var attempts = 0;
        var id = NewId("msg");

        var recorded = await db.InTransactionAsync(async (c, t, ct) =>
        {
            var first = await InboxStore.TryRecordAsync(c, t, id, "x", "15", ct);
            if (Interlocked.Increment(ref attempts) == 1)
            {
                await RaiseAsync(c, t, TransientErrors.SerializationFailure, ct);
            }
            return first;
        });

        Assert.Equal(2, attempts);
        // The first attempt rolled back, so the retry recorded the message for the first time.
        Assert.True(recorded);
    }

    [Fact]
    public async Task Deadlock_is_retried_but_only_a_bounded_number_of_times()
    {
        await using var db = new NodeDatabase(Db.DataSource, FastRetries);
        var attempts = 0;

        var error = await Assert.ThrowsAsync<PostgresException>(() => db.InTransactionAsync<int>(async (c, t, ct) =>
        {
            Interlocked.Increment(ref attempts);
            await RaiseAsync(c, t, TransientErrors.DeadlockDetected, ct);
            return 0;
        }));

        Assert.Equal(TransientErrors.DeadlockDetected, error.SqlState);
        Assert.Equal(1 + FastRetries.MaxRetries, attempts);
    }

    [Fact]
    public async Task Non_transient_errors_such_as_unique_violations_are_not_retried()
    {
        await using var db = new NodeDatabase(Db.DataSource, FastRetries);
        var attempts = 0;

        var error = await Assert.ThrowsAsync<PostgresException>(() => db.InTransactionAsync<int>(async (c, t, ct) =>
        {
            Interlocked.Increment(ref attempts);
            await RaiseAsync(c, t, TransientErrors.UniqueViolation, ct);
            return 0;
        }));

        Assert.Equal(TransientErrors.UniqueViolation, error.SqlState);
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task Repeated_transient_failures_open_the_circuit_and_calls_fail_fast()
    {
        await using var db = new NodeDatabase(Db.DataSource, FastRetries with
        {
            MaxRetries = 0,
            BreakerMinimumThroughput = 3,
            BreakerFailureRatio = 0.5,
            BreakerBreakDuration = TimeSpan.FromSeconds(30),
        });
        var attempts = 0;
        Task<int> Failing() => db.InTransactionAsync<int>(async (c, t, ct) =>
        {
            Interlocked.Increment(ref attempts);
            await RaiseAsync(c, t, TransientErrors.SerializationFailure, ct);
            return 0;
        });

        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<PostgresException>(Failing);
        }
        await Assert.ThrowsAsync<BrokenCircuitException>(Failing);
        await Assert.ThrowsAsync<BrokenCircuitException>(() => db.WithConnectionAsync((c, ct) => Task.FromResult(1)));

        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task Serializable_isolation_can_be_chosen_per_unit()
    {
        var level = await Db.InTransactionAsync(System.Data.IsolationLevel.Serializable, async (c, t, ct) =>
        {
            await using var cmd = new NpgsqlCommand("SHOW transaction_isolation", c, t);
            return (string)(await cmd.ExecuteScalarAsync(ct))!;
        });

        Assert.Equal("serializable", level);
    }
}
