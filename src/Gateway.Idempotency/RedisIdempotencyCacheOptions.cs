namespace Gateway.Idempotency;

/// <summary>Where the Redis fast path lives and how patiently it is used (briefly: the database is the fallback).</summary>
public sealed record RedisIdempotencyCacheOptions
{
    /// <summary>host:port of the Redis server.</summary>
    public required string Endpoint { get; init; }

    /// <summary>Prefix of every key; one province's node uses <see cref="KeyPrefixFor"/>.</summary>
    public string KeyPrefix { get; init; } = "gw:idem:";

    /// <summary>
    /// 32-byte secret that hashes key names and encrypts responses (see <see cref="ResponseCipher"/>); a node reads it
    /// from <c>Redis:ResponseKey</c>. Defaults to a random one: cached responses then last only as long as this process.
    /// </summary>
    public byte[] ResponseKey { get; init; } = ResponseCipher.NewSecret();

    /// <summary>Upper bound for one Redis command attempt.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Retries after the first attempt (0–2 make sense for a cache).</summary>
    public int Retries { get; init; } = 1;

    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    public double BreakerFailureRatio { get; init; } = 0.5;

    public int BreakerMinimumThroughput { get; init; } = 4;

    public TimeSpan BreakerSamplingDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>While open, calls answer a miss at once instead of waiting on a dead server.</summary>
    public TimeSpan BreakerBreakDuration { get; init; } = TimeSpan.FromSeconds(5);

    public static string KeyPrefixFor(string province) => $"gw:{province}:idem:";
}
