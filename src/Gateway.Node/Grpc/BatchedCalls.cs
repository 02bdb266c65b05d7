using Gateway.Node.Application;
using Gateway.Node.Idempotency;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;

namespace Gateway.Node.Grpc;

/// <summary>One entry's outcome in a batch call: its response, or the status the unary call would have ended with.</summary>
public sealed record BatchResult<TResponse>(TResponse? Response, Google.Rpc.Status? Error) where TResponse : class;

/// <summary>
/// Runs the entries of a batch start call, each exactly as the unary call under its own idempotency key (same record:
/// same method name, same request hash), but commits them together: entries go into transactions of up to
/// <see cref="EntriesPerTransaction"/>, one savepoint each, so an entry that fails rolls back to its savepoint and
/// the others still commit. Fewer durable commits is the point; answers still follow the commit.
/// </summary>
public sealed class BatchedCalls(NodeDatabase db, IdempotentCalls calls, ILogger<BatchedCalls> logger)
{
    /// <summary>
    /// Entries per transaction. Each savepoint with writes takes a subtransaction id, and PostgreSQL caches only 64 per
    /// backend before every snapshot of every session slows down (subtransaction overflow); 25 stays well below that
    /// and keeps row locks short.
    /// </summary>
    public const int EntriesPerTransaction = 25;

    public async Task<IReadOnlyList<BatchResult<TResponse>>> RunAsync<TRequest, TResponse>(
        string method,
        IReadOnlyList<(string Key, TRequest Request)> entries,
        Func<NpgsqlConnection, NpgsqlTransaction, TRequest, CancellationToken, Task<TResponse>> effect,
        CancellationToken ct)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>, new()
    {
        if (entries.Count == 0)
            throw InvalidRequestException.Single("entries", "A batch needs at least one entry.");
        if (entries.Count > RequestBounds.MaxRepeated)
            throw InvalidRequestException.Single("entries", $"At most {RequestBounds.MaxRepeated} entries per batch.");

        var results = new BatchResult<TResponse>?[entries.Count];
        var pending = new List<(int Index, IdempotentCall Call, TRequest Request)>();
        for (var i = 0; i < entries.Count; i++)
        {
            var (key, request) = entries[i];
            if (IdempotentCalls.KeyProblem(key) is { } problem)
                results[i] = Failed<TResponse>(InvalidRequestException.Single($"entries[{i}].idempotency_key", problem));
            else
                pending.Add((i, IdempotentCall.Of(key, method, request), request));
        }

        // Repeats are answered by the cache, all lookups at once.
        var cached = await Task.WhenAll(pending.Select(async p =>
        {
            try { return (p, Result: await calls.FromCacheAsync<TResponse>(p.Call, ct) is { } hit ? new BatchResult<TResponse>(hit, null) : null); }
            catch (RefusedException refused) { return (p, Result: Failed<TResponse>(refused)); }
        }));
        foreach (var (p, result) in cached)
            if (result is not null) results[p.Index] = result;

        // Key order: two batches that share keys reserve them in the same order, so they queue instead of deadlocking.
        var toRun = cached.Where(c => c.Result is null).Select(c => c.p)
            .OrderBy(p => p.Call.Key, StringComparer.Ordinal).ThenBy(p => p.Index).ToList();
        foreach (var group in toRun.Chunk(EntriesPerTransaction))
        {
            var acted = await db.InTransactionAsync((conn, tx, token) => RunGroupAsync(conn, tx, group, effect, token), ct);
            foreach (var (p, outcome, error) in acted)
            {
                if (outcome is null)
                {
                    results[p.Index] = Failed<TResponse>(error!);
                    continue;
                }
                await calls.RememberAsync(outcome.Record, ct);
                try { results[p.Index] = new BatchResult<TResponse>(calls.Answer(p.Call, outcome), null); }
                catch (RefusedException refused) { results[p.Index] = Failed<TResponse>(refused); }
            }
        }
        return results.Select(r => r!).ToList();
    }

    private async Task<List<((int Index, IdempotentCall Call, TRequest Request) Entry, Acted<TResponse>? Outcome, Exception? Error)>> RunGroupAsync<TRequest, TResponse>(
        NpgsqlConnection conn, NpgsqlTransaction tx, (int Index, IdempotentCall Call, TRequest Request)[] group,
        Func<NpgsqlConnection, NpgsqlTransaction, TRequest, CancellationToken, Task<TResponse>> effect, CancellationToken ct)
        where TResponse : class, IMessage<TResponse>
    {
        // Built afresh on every attempt: a transient failure repeats the whole group.
        var outcomes = new List<((int, IdempotentCall, TRequest), Acted<TResponse>?, Exception?)>(group.Length);
        foreach (var entry in group)
        {
            // Not released after success: a RELEASE costs a round trip and frees no subtransaction id; rolling back to
            // "entry" always reaches the newest savepoint of that name, this entry's.
            await tx.SaveAsync("entry", ct);
            try
            {
                var acted = await calls.ActAsync(conn, tx, entry.Call, (c, t, token) => effect(c, t, entry.Request, token), ct);
                outcomes.Add((entry, acted, null));
            }
            catch (Exception ex) when (IsEntrysOwn(ex))
            {
                // The entry's effect and its key reservation go; the entries before it stay.
                await tx.RollbackAsync("entry", ct);
                outcomes.Add((entry, null, ex));
            }
        }
        return outcomes;
    }

    /// <summary>
    /// Failures that belong to one entry. Cancellation and outages (connection lost, timeout, open circuit, deadlock or
    /// serialization failure) are the node's: the whole group fails and the resilience pipeline repeats it.
    /// </summary>
    private static bool IsEntrysOwn(Exception ex) =>
        ex is not OperationCanceledException
            and not Polly.CircuitBreaker.BrokenCircuitException and not Polly.Timeout.TimeoutRejectedException and not TimeoutException
        && !TransientErrors.IsTransient(ex);

    private BatchResult<TResponse> Failed<TResponse>(Exception ex) where TResponse : class
    {
        var status = GatewayErrors.ToStatus(ex);
        if (GatewayErrors.IsNodeFault(status))
            logger.LogError(ex, "A batch entry failed");
        return new BatchResult<TResponse>(null, status);
    }
}
