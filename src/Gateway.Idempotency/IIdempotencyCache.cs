namespace Gateway.Idempotency;

/// <summary>
/// The first answer to an idempotency key: which call it was, its request hash, its response bytes and when the
/// key's record in PostgreSQL expires. The cache never keeps it longer than that record lives.
/// </summary>
public sealed record CachedResponse(string Method, byte[] RequestHash, byte[] Response, DateTimeOffset ExpiresAt)
{
    /// <summary>True when a retried call is the same call (same method, same request bytes).</summary>
    public bool IsSameRequest(string method, ReadOnlySpan<byte> requestHash) =>
        string.Equals(Method, method, StringComparison.Ordinal) && requestHash.SequenceEqual(RequestHash);
}

/// <summary>
/// Fast path for idempotency keys. PostgreSQL holds the record; a miss here only means "ask the database",
/// so implementations answer a miss rather than fail when their backing store is unavailable.
/// Expiry is judged by the <c>now</c> the caller passes, the same clock that stamped the record's expiry.
/// </summary>
public interface IIdempotencyCache
{
    /// <summary>The cached response, or null when absent or when its <see cref="CachedResponse.ExpiresAt"/> is not after <paramref name="now"/>.</summary>
    Task<CachedResponse?> GetAsync(string key, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Caches the response for what is left of its record's life (ExpiresAt − now); nothing when that is over.</summary>
    Task SetAsync(string key, CachedResponse value, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>
    /// Marks the key as in progress for <paramref name="ttl"/>. False means another call holds it right now.
    /// True when the cache cannot tell (unavailable): the key's reserved row in the database still serializes the calls.
    /// </summary>
    Task<bool> TryReserveAsync(string key, TimeSpan ttl, CancellationToken ct = default);

    /// <summary>Drops a reservation early (the call failed before it produced a result).</summary>
    Task ReleaseAsync(string key, CancellationToken ct = default);
}
