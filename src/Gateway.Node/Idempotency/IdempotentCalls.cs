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
/// <remarks>
/// One clock: the record's expiry is stamped with the node's <see cref="Infrastructure.BusinessClock"/> and every lookup,
/// in PostgreSQL and in the cache, is judged by that clock; the cache keeps a response only for the record's remaining life.
/// Personal data: a key may be built from an identity number or a name, so logs and the IDEMPOTENCY_KEY_REUSED error show
/// only <see cref="IdempotencyKeyHash"/> (SHA-256; logs its first 12 hex characters). Redis gets a keyed hash of the key and
/// an encrypted response (<see cref="ResponseCipher"/>). PostgreSQL, the store of record, keeps key and response as they are.
/// </remarks>
public sealed class IdempotentCalls(
    NodeDatabase db,
    IIdempotencyCache cache,
    IOptions<NodeOptions> options,
    Infrastructure.BusinessClock clock,
    ILogger<IdempotentCalls> logger)
{
    public const string HeaderName = "idempotency-key";
    public const string KeyReusedReason = "IDEMPOTENCY_KEY_REUSED";
    /// <summary>ErrorInfo metadata entry with the SHA-256 hex of the reused key (never the key itself).</summary>
    public const string KeyHashMetadata = "key_sha256";
    private const int MaxKeyLength = 200;
    // A lost insert race is answered from the winner's record on the next attempt; a second loss is not expected.
    private const int MaxAttempts = 2;

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

        var cached = await cache.GetAsync(key, clock.UtcNow, ct);
        if (cached is not null)
            return Replay<TResponse>(key, method, hash, cached.Method, cached.RequestHash, cached.Response);

        for (var attempt = 1; ; attempt++)
        {
            Outcome outcome;
            try
            {
                outcome = await db.InTransactionAsync((conn, tx, token) => ActOnceAsync(conn, tx, key, method, hash, effect, token), ct);
            }
            catch (InsertRaceLostException lost) when (attempt < MaxAttempts)
            {
                // The effect rolled back with the transaction; the next attempt finds the winner's record and replays it.
                logger.LogWarning("Idempotency key {KeyHash} was stored by another call during this one; its effect was rolled back",
                    IdempotencyKeyHash.ForLog(key));
                if (lost.Holder is null)
                    continue;
                outcome = new Outcome(lost.Holder, Replayed: true);
            }

            var record = outcome.Record;
            await cache.SetAsync(key, new CachedResponse(record.Method, record.RequestHash, record.Response, record.ExpiresAt), clock.UtcNow, ct);
            return outcome.Replayed
                ? Replay<TResponse>(key, method, hash, record.Method, record.RequestHash, record.Response)
                : Parse<TResponse>(record.Response);
        }
    }

    private async Task<Outcome> ActOnceAsync<TResponse>(
        NpgsqlConnection conn, NpgsqlTransaction tx, string key, string method, byte[] hash,
        Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<TResponse>> effect, CancellationToken ct)
        where TResponse : IMessage<TResponse>
    {
        // Concurrent calls with one key queue here; the second finds the first's record.
        await IdempotencyRecordStore.LockKeyAsync(conn, tx, key, ct);
        // Read after the lock wait: lookup, stamp and the insert's "expired?" test all use this one instant.
        var now = clock.UtcNow;
        var existing = await IdempotencyRecordStore.FindAsync(conn, tx, key, now, ct);
        if (existing is not null)
            return new Outcome(existing, Replayed: true);

        var result = await effect(conn, tx, ct);
        var record = new IdempotencyRecord(key, method, hash, result.ToByteArray(), now, now + options.Value.IdempotencyWindow);
        var insert = await IdempotencyRecordStore.InsertAsync(conn, tx, record, ct);
        // Throwing rolls the effect back: committing it would act once more under a key whose record is another call's.
        if (!insert.Stored)
            throw new InsertRaceLostException(insert.Holder);
        return new Outcome(record, Replayed: false);
    }

    private TResponse Replay<TResponse>(string key, string method, byte[] hash, string firstMethod, byte[] firstHash, byte[] firstResponse)
        where TResponse : IMessage<TResponse>, new()
    {
        if (firstMethod != method || !firstHash.AsSpan().SequenceEqual(hash))
        {
            var keyHash = IdempotencyKeyHash.Of(key);
            throw new RefusedException(KeyReusedReason,
                $"Idempotency key (SHA-256 {keyHash}) was already used for a different request; use a new key for a new request.",
                new Dictionary<string, string> { [KeyHashMetadata] = keyHash, ["first_method"] = firstMethod });
        }
        logger.LogDebug("Replayed the first response for idempotency key {KeyHash}", IdempotencyKeyHash.ForLog(key));
        return Parse<TResponse>(firstResponse);
    }

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

    private sealed record Outcome(IdempotencyRecord Record, bool Replayed);

    /// <summary>The key's record was stored by another call between lookup and insert; thrown so the transaction rolls back.</summary>
    private sealed class InsertRaceLostException(IdempotencyRecord? holder)
        : Exception("Another call stored this idempotency key first.")
    {
        public IdempotencyRecord? Holder { get; } = holder;
    }
}
