using Gateway.Contracts.Transfer.V1;
using Gateway.Idempotency;
using Gateway.Node.Application;
using Gateway.Node.Infrastructure;
using Gateway.Storage;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gateway.Node.Idempotency;

/// <summary>
/// Idempotency for one answer on the work-item stream, where each answer carries its own key and runs inside a batch
/// transaction it does not own. Same rules and the same records as the unary AnswerWorkItem
/// (<see cref="IdempotentCalls"/>): the record is stored under the unary method's name and request hash, so a key
/// first used on either path replays on the other. Same key + same answer: the first result; same key + another answer:
/// IDEMPOTENCY_KEY_REUSED.
/// </summary>
/// <remarks>
/// Only PostgreSQL is consulted: the answer is inside a transaction already, and the reservation is one indexed statement. The Redis fast path stays the unary call's; its cached copies come from the same records.
/// </remarks>
public sealed class StreamAnswerIdempotency(IOptions<NodeOptions> options, BusinessClock clock, ILogger<StreamAnswerIdempotency> logger)
{
    /// <summary>The unary call's method name, under which both paths store their records.</summary>
    public static readonly string Method = $"/{WorkItemService.Descriptor.FullName}/{WorkItemService.Descriptor.FindMethodByName("AnswerWorkItem").Name}";

    public const string KeyField = "idempotency_key";
    private const int MaxKeyLength = 200;

    /// <summary>
    /// Runs <paramref name="effect"/> once per key in the caller's transaction, storing its response beside it, or
    /// answers with the key's first response. Throws when the key belongs to another answer or was stored concurrently
    /// (<see cref="KeyStoredMeanwhileException"/>: roll back this answer and run it again; it then replays).
    /// </summary>
    public async Task<AnswerWorkItemResponse> RunAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, string key, AnswerWorkItemRequest request,
        Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<AnswerWorkItemResponse>> effect, CancellationToken ct)
    {
        CheckKey(key);
        var hash = RequestHash.Compute(Method, request.ToByteArray());
        // Insert-first, as on the unary path: reserving the key makes a same-key answer wait until this one's
        // transaction ends, then see its record.
        var now = clock.UtcNow;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var reservation = await IdempotencyRecordStore.ReserveAsync(conn, tx, key, Method, hash, now, now + options.Value.IdempotencyWindow, ct);
            if (reservation.Holder is { } holder)
                return Replay(key, hash, holder);
            if (!reservation.Reserved)
                continue; // the holder expired or was purged between the two reads: reserve again
            var result = await effect(conn, tx, ct);
            await IdempotencyRecordStore.CompleteAsync(conn, tx, key, result.ToByteArray(), ct);
            return result;
        }
        throw new KeyStoredMeanwhileException();
    }

    private AnswerWorkItemResponse Replay(string key, byte[] hash, IdempotencyRecord first)
    {
        if (first.Method != Method || !first.RequestHash.AsSpan().SequenceEqual(hash))
        {
            var keyHash = IdempotencyKeyHash.Of(key);
            throw new RefusedException(IdempotentCalls.KeyReusedReason,
                $"Idempotency key (SHA-256 {keyHash}) was already used for a different request; use a new key for a new request.",
                new Dictionary<string, string> { [IdempotentCalls.KeyHashMetadata] = keyHash, ["first_method"] = first.Method });
        }
        logger.LogDebug("Replayed the first response for idempotency key {KeyHash}", IdempotencyKeyHash.ForLog(key));
        return AnswerWorkItemResponse.Parser.ParseFrom(first.Response);
    }

    private static void CheckKey(string key)
    {
        if (string.IsNullOrWhiteSpace(key))
            throw InvalidRequestException.Single(KeyField, "Every answer on the stream needs an idempotency_key (a unique value per intended answer, e.g. a UUID).");
        if (key.Length > MaxKeyLength)
            throw InvalidRequestException.Single(KeyField, $"An idempotency key has at most {MaxKeyLength} characters.");
    }
}

/// <summary>Another transaction stored the key between lookup and insert; thrown so this answer's effect rolls back.</summary>
public sealed class KeyStoredMeanwhileException() : Exception("Another call stored this idempotency key first.");
