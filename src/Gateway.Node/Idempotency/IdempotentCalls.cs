using Gateway.Idempotency;
using Gateway.Node.Application;
using Gateway.Node.Grpc;
using Gateway.Storage;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gateway.Node.Idempotency;

/// <summary>One mutating call under its idempotency key: the key, the method whose record it is, and the request's hash.</summary>
public sealed record IdempotentCall(string Key, string Method, byte[] RequestHash)
{
    public static IdempotentCall Of(string key, string method, IMessage request) =>
        new(key, method, Gateway.Idempotency.RequestHash.Compute(method, request.ToByteArray()));
}

/// <summary>What <see cref="IdempotentCalls.ActAsync"/> did: acted (<see cref="Response"/> set) or found the key's record.</summary>
public sealed record Acted<TResponse>(TResponse? Response, IdempotencyRecord Record) where TResponse : class
{
    public bool Replayed => Response is null;
}

/// <summary>
/// Runs a mutating call at most once per idempotency key. The effect, the key, a hash of the
/// request and the response commit in one PostgreSQL transaction; Redis only answers repeats
/// faster. If Redis lost the key, the database still has it, so a retry never acts twice.
/// </summary>
/// <remarks>
/// Insert first: the transaction reserves the key's row before the effect runs (a concurrent call with the same key
/// waits on the row's unique index until this one commits, then replays it), and stores the response on that row
/// after the effect. The response is serialised once: those bytes go to PostgreSQL, Redis and the wire
/// (<see cref="ResponseBytes"/>).
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
    public const int MaxKeyLength = 200;
    // A holder that expired or was purged between the wait and the read is gone; one more reservation takes the key.
    private const int MaxReservations = 2;

    public async Task<TResponse> RunAsync<TRequest, TResponse>(
        ServerCallContext context,
        TRequest request,
        Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<TResponse>> effect)
        where TRequest : IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>, new()
    {
        var call = IdempotentCall.Of(ReadKey(context), context.Method, request);
        var ct = context.CancellationToken;

        if (await FromCacheAsync<TResponse>(call, ct) is { } cached)
            return cached;

        var acted = await db.InTransactionAsync((conn, tx, token) => ActAsync(conn, tx, call, effect, token), ct);
        await RememberAsync(acted.Record, ct);
        return Answer(call, acted);
    }

    /// <summary>The cached first response to this call (a different request under the key is refused), or null on a miss.</summary>
    public async Task<TResponse?> FromCacheAsync<TResponse>(IdempotentCall call, CancellationToken ct)
        where TResponse : class, IMessage<TResponse>, new()
    {
        var cached = await cache.GetAsync(call.Key, clock.UtcNow, ct);
        return cached is null ? null : Replay<TResponse>(call, cached.Method, cached.RequestHash, cached.Response);
    }

    /// <summary>
    /// Inside the caller's transaction: reserves the key and runs the effect, storing its response on the key's row;
    /// or, when a live record holds the key, runs nothing and returns that record (answer it with <see cref="Answer"/>).
    /// An exception from the effect must roll back the transaction (or its savepoint): the reservation goes with it.
    /// </summary>
    public async Task<Acted<TResponse>> ActAsync<TResponse>(
        NpgsqlConnection conn, NpgsqlTransaction tx, IdempotentCall call,
        Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<TResponse>> effect, CancellationToken ct)
        where TResponse : class, IMessage<TResponse>
    {
        for (var attempt = 1; attempt <= MaxReservations; attempt++)
        {
            // One instant stamps the record and judges whether a holder has expired.
            var now = clock.UtcNow;
            var expiresAt = now + options.Value.IdempotencyWindow;
            var reservation = await IdempotencyRecordStore.ReserveAsync(conn, tx, call.Key, call.Method, call.RequestHash, now, expiresAt, ct);
            if (reservation.Holder is { } holder)
                return new Acted<TResponse>(null, holder);
            if (!reservation.Reserved)
                continue;

            var result = await effect(conn, tx, ct);
            var bytes = result.ToByteArray();
            await IdempotencyRecordStore.CompleteAsync(conn, tx, call.Key, bytes, ct);
            ResponseBytes.Remember(result, bytes);
            return new Acted<TResponse>(result, new IdempotencyRecord(call.Key, call.Method, call.RequestHash, bytes, now, expiresAt));
        }
        throw new InvalidOperationException("The idempotency key could neither be reserved nor read.");
    }

    /// <summary>After commit: arms the cache with the record for its remaining life.</summary>
    public Task RememberAsync(IdempotencyRecord record, CancellationToken ct) =>
        cache.SetAsync(record.Key, new CachedResponse(record.Method, record.RequestHash, record.Response, record.ExpiresAt), clock.UtcNow, ct);

    /// <summary>The call's response: the one it produced, or the key's first response (a different request is refused).</summary>
    public TResponse Answer<TResponse>(IdempotentCall call, Acted<TResponse> acted) where TResponse : class, IMessage<TResponse>, new() =>
        acted.Response ?? Replay<TResponse>(call, acted.Record.Method, acted.Record.RequestHash, acted.Record.Response);

    /// <summary>Why <paramref name="key"/> cannot be an idempotency key, or null when it can.</summary>
    public static string? KeyProblem(string? key) =>
        string.IsNullOrWhiteSpace(key)
            ? "Every mutating call needs an idempotency key (a unique value per intended effect, e.g. a UUID)."
            : key.Length > MaxKeyLength
                ? $"An idempotency key has at most {MaxKeyLength} characters."
                : key.Any(char.IsControl) ? "An idempotency key has no control characters." : null;

    private TResponse Replay<TResponse>(IdempotentCall call, string firstMethod, byte[] firstHash, byte[] firstResponse)
        where TResponse : class, IMessage<TResponse>, new()
    {
        if (firstMethod != call.Method || !firstHash.AsSpan().SequenceEqual(call.RequestHash))
        {
            var keyHash = IdempotencyKeyHash.Of(call.Key);
            throw new RefusedException(KeyReusedReason,
                $"Idempotency key (SHA-256 {keyHash}) was already used for a different request; use a new key for a new request.",
                new Dictionary<string, string> { [KeyHashMetadata] = keyHash, ["first_method"] = firstMethod });
        }
        logger.LogDebug("Replayed the first response for idempotency key {KeyHash}", IdempotencyKeyHash.ForLog(call.Key));
        var message = new TResponse();
        message.MergeFrom(firstResponse);
        ResponseBytes.Remember(message, firstResponse);
        return message;
    }

    private static string ReadKey(ServerCallContext context)
    {
        var key = context.RequestHeaders.GetValue(HeaderName);
        if (KeyProblem(key) is { } problem)
            throw InvalidRequestException.Single(HeaderName,
                string.IsNullOrWhiteSpace(key) ? "Every mutating call needs an idempotency-key metadata header (a unique value per intended effect, e.g. a UUID)." : problem);
        return key!;
    }
}
