using Gateway.Idempotency;
using Gateway.Node.Application;
using Gateway.Node.Grpc;
using Gateway.Storage;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gateway.Node.Idempotency;

/// <summary>
/// Runs a mutating call at most once per idempotency key. The effect, the key, a hash of the
/// request and the response commit in one PostgreSQL transaction; Redis only answers repeats
/// faster. If Redis lost the key, the database still has it, so a retry never acts twice.
/// </summary>
public sealed class IdempotentCalls(
    NodeDatabase db,
    IIdempotencyCache cache,
    IOptions<NodeOptions> options,
    Infrastructure.BusinessClock clock,
    ILogger<IdempotentCalls> logger)
{
    public const string HeaderName = "idempotency-key";
    public const string KeyReusedReason = "IDEMPOTENCY_KEY_REUSED";
    private const int MaxKeyLength = 200;

    public async Task<TResponse> RunAsync<TRequest, TResponse>(
        ServerCallContext context,
        TRequest request,
        Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<TResponse>> effect)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new()
    {
        var key = ReadKey(context);
        var method = context.Method;
        var hash = RequestHash.Compute(method, request.ToByteArray());
        var ct = context.CancellationToken;

        var cached = await cache.GetAsync(key, ct);
        if (cached is not null)
            return Replay<TResponse>(key, method, hash, cached.Method, cached.RequestHash, cached.Response);

        var outcome = await db.InTransactionAsync(async (conn, tx, token) =>
        {
            // Concurrent calls with one key queue here; the second finds the first's record.
            await IdempotencyRecordStore.LockKeyAsync(conn, tx, key, token);
            var existing = await IdempotencyRecordStore.FindAsync(conn, tx, key, token);
            if (existing is not null)
                return (existing.Method, existing.RequestHash, existing.Response, Replayed: true);

            var result = await effect(conn, tx, token);
            var bytes = result.ToByteArray();
            var now = clock.UtcNow;
            await IdempotencyRecordStore.InsertAsync(conn, tx,
                new IdempotencyRecord(key, method, hash, bytes, now, now + options.Value.IdempotencyWindow), token);
            return (method, hash, bytes, Replayed: false);
        }, ct);

        await Remember(key, outcome.Item1, outcome.Item2, outcome.Item3, ct);
        return outcome.Replayed
            ? Replay<TResponse>(key, method, hash, outcome.Item1, outcome.Item2, outcome.Item3)
            : Parse<TResponse>(outcome.Item3);
    }

    private TResponse Replay<TResponse>(string key, string method, byte[] hash, string firstMethod, byte[] firstHash, byte[] firstResponse)
        where TResponse : IMessage<TResponse>, new()
    {
        if (firstMethod != method || !firstHash.AsSpan().SequenceEqual(hash))
            throw new RefusedException(KeyReusedReason,
                $"Idempotency key '{key}' was already used for a different request; use a new key for a new request.",
                new Dictionary<string, string> { ["key"] = key, ["first_method"] = firstMethod });
        logger.LogDebug("Replayed the first response for idempotency key {Key}", key);
        return Parse<TResponse>(firstResponse);
    }

    private async Task Remember(string key, string method, byte[] hash, byte[] response, CancellationToken ct) =>
        await cache.SetAsync(key, new CachedResponse(method, hash, response), options.Value.IdempotencyWindow, ct);

    private static TResponse Parse<TResponse>(byte[] bytes) where TResponse : IMessage<TResponse>, new()
    {
        var message = new TResponse();
        message.MergeFrom(bytes);
        return message;
    }

    private static string ReadKey(ServerCallContext context)
    {
        var key = context.RequestHeaders.GetValue(HeaderName);
        if (string.IsNullOrWhiteSpace(key))
            throw InvalidRequestException.Single(HeaderName, "Every mutating call needs an idempotency-key metadata header (a unique value per intended effect, e.g. a UUID).");
        if (key.Length > MaxKeyLength)
            throw InvalidRequestException.Single(HeaderName, $"An idempotency key has at most {MaxKeyLength} characters.");
        return key;
    }
}
