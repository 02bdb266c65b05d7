using System.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Gateway.Storage;

/// <summary>
/// One node's PostgreSQL: a data source plus a resilience pipeline (attempt timeout, bounded jittered retries
/// of transient errors, circuit breaker). A unit of work is retried whole, so it must be safe to repeat:
/// the inbox and idempotency records make the gateway's units so even when a commit's outcome was unknown.
/// </summary>
public sealed class NodeDatabase : IAsyncDisposable
{
    private readonly bool _ownsDataSource;
    private readonly ILogger _logger;

    public NodeDatabase(NpgsqlDataSource dataSource, NodeDatabaseOptions? options = null, ILogger? logger = null)
        : this(dataSource, options, logger, ownsDataSource: false)
    {
    }

    private NodeDatabase(NpgsqlDataSource dataSource, NodeDatabaseOptions? options, ILogger? logger, bool ownsDataSource)
    {
        DataSource = dataSource;
        Options = options ?? new NodeDatabaseOptions();
        _logger = logger ?? NullLogger.Instance;
        _ownsDataSource = ownsDataSource;
        Pipeline = BuildPipeline(Options, _logger);
    }

    /// <summary>
    /// Creates a database over a new data source that it owns and disposes. When the connection string does not set
    /// <c>Maximum Pool Size</c>, the pool follows the core count (<see cref="DefaultMaxPoolSize"/>) instead of Npgsql's 100.
    /// </summary>
    public static NodeDatabase Create(string connectionString, NodeDatabaseOptions? options = null, ILogger? logger = null) =>
        new(NpgsqlDataSource.Create(WithPoolSize(connectionString, Environment.ProcessorCount)), options, logger, ownsDataSource: true);

    /// <summary>
    /// Pool size of a node: 10 × cores + 10. Admission lets 8 × cores mutating calls in at once (one connection each);
    /// the rest serves the inbox, the relay, work-item streams, reads, health checks and the first use of a document
    /// sequence. More connections buy no throughput (the database is CPU- and WAL-bound) and several nodes share
    /// one server's max_connections.
    /// </summary>
    public static int DefaultMaxPoolSize(int processorCount) => 10 * Math.Max(1, processorCount) + 10;

    /// <summary>The connection string with <see cref="DefaultMaxPoolSize"/> unless it names its own Maximum Pool Size.</summary>
    public static string WithPoolSize(string connectionString, int processorCount)
    {
        // Npgsql's builder claims every keyword it knows; the generic one lists only those written.
        var written = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (written.Keys.Cast<string>().Any(k => k.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant() is "maximumpoolsize" or "maxpoolsize"))
            return connectionString;
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.MaxPoolSize = DefaultMaxPoolSize(processorCount);
        // Keep a smaller minimum the caller may have set at or below the new maximum.
        if (builder.MinPoolSize > builder.MaxPoolSize) builder.MinPoolSize = builder.MaxPoolSize;
        return builder.ConnectionString;
    }

    public NpgsqlDataSource DataSource { get; }

    public NodeDatabaseOptions Options { get; }

    public ResiliencePipeline Pipeline { get; }

    /// <summary>Applies pending schema migrations (safe when several starters race).</summary>
    public Task<IReadOnlyList<int>> MigrateAsync(CancellationToken ct = default) =>
        Pipeline.ExecuteAsync(async token => await Migrator.ApplyAsync(DataSource, token).ConfigureAwait(false), ct).AsTask();

    public Task<T> InTransactionAsync<T>(
        Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> work, CancellationToken ct = default) =>
        InTransactionAsync(IsolationLevel.ReadCommitted, work, ct);

    public async Task<T> InTransactionAsync<T>(
        IsolationLevel isolation, Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> work, CancellationToken ct = default)
    {
        return await Pipeline.ExecuteAsync(async token =>
        {
            // Each attempt starts with an empty capture: rows of a rolled-back attempt are never handed on.
            var capture = OutboxCapture.Current;
            capture?.BeginAttempt();
            await using var conn = await DataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            await using var tx = await conn.BeginTransactionAsync(isolation, token).ConfigureAwait(false);
            var result = await work(conn, tx, token).ConfigureAwait(false);
            await tx.CommitAsync(token).ConfigureAwait(false);
            capture?.CommitAttempt();
            return result;
        }, ct).ConfigureAwait(false);
    }

    public Task InTransactionAsync(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task> work, CancellationToken ct = default) =>
        InTransactionAsync<bool>(async (conn, tx, token) =>
        {
            await work(conn, tx, token).ConfigureAwait(false);
            return true;
        }, ct);

    /// <summary>Runs work on an open connection without an explicit transaction (reads, single statements).</summary>
    public async Task<T> WithConnectionAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken ct = default)
    {
        return await Pipeline.ExecuteAsync(async token =>
        {
            await using var conn = await DataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            return await work(conn, token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await DataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static ResiliencePipeline BuildPipeline(NodeDatabaseOptions options, ILogger logger)
    {
        var transient = new PredicateBuilder().Handle<Exception>(TransientErrors.IsTransient);
        var builder = new ResiliencePipelineBuilder();
        // Polly refuses a retry strategy with zero attempts, so "no retries" leaves it out.
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    logger.LogWarning(args.Outcome.Exception,
                        "PostgreSQL unit of work failed transiently; retry {Attempt} of {Max} in {Delay}",
                        args.AttemptNumber + 1, options.MaxRetries, args.RetryDelay);
                    return default;
                },
            });
        }

        return builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => TransientErrors.IsTransient(e) || e is TimeoutRejectedException),
                FailureRatio = options.BreakerFailureRatio,
                MinimumThroughput = options.BreakerMinimumThroughput,
                SamplingDuration = options.BreakerSamplingDuration,
                BreakDuration = options.BreakerBreakDuration,
                OnOpened = args =>
                {
                    logger.LogError(args.Outcome.Exception, "PostgreSQL circuit opened for {Duration}", args.BreakDuration);
                    return default;
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }
}
