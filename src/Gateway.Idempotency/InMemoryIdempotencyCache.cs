namespace Gateway.Idempotency;

/// <summary>
/// Process-local fast path for when Redis cannot be had (the demo says so at start-up). Bounded: past
/// <c>capacity</c> the entries that expire soonest go first. Lost on restart, which is fine: PostgreSQL answers.
/// Responses live until their record's expiry, judged by the caller's clock; reservations by <c>time</c>.
/// Stays in this process's memory, so keys and responses are kept as they are.
/// </summary>
public sealed class InMemoryIdempotencyCache : IIdempotencyCache
{
    private readonly ExpiringMap<CachedResponse> _responses;
    private readonly ExpiringMap<bool> _reservations;
    private readonly TimeProvider _time;

    public InMemoryIdempotencyCache(int capacity = 100_000, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _time = time ?? TimeProvider.System;
        _responses = new ExpiringMap<CachedResponse>(capacity);
        _reservations = new ExpiringMap<bool>(capacity);
    }

    public int Count => _responses.Count;

    public Task<CachedResponse?> GetAsync(string key, DateTimeOffset now, CancellationToken ct = default) =>
        Task.FromResult(_responses.TryGet(key, now, out var value) ? value : null);

    public Task SetAsync(string key, CachedResponse value, DateTimeOffset now, CancellationToken ct = default)
    {
        if (value.ExpiresAt > now)
        {
            _responses.Set(key, value, now, value.ExpiresAt, onlyIfAbsent: false);
        }
        return Task.CompletedTask;
    }

    public Task<bool> TryReserveAsync(string key, TimeSpan ttl, CancellationToken ct = default)
    {
        var now = _time.GetUtcNow();
        return Task.FromResult(_reservations.Set(key, true, now, now + ttl, onlyIfAbsent: true));
    }

    public Task ReleaseAsync(string key, CancellationToken ct = default)
    {
        _reservations.Remove(key);
        return Task.CompletedTask;
    }

    private sealed class ExpiringMap<T>(int capacity)
    {
        private readonly Dictionary<string, (T Value, DateTimeOffset ExpiresAt)> _entries = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _entries.Count;
                }
            }
        }

        public bool TryGet(string key, DateTimeOffset now, out T? value)
        {
            lock (_gate)
            {
                if (_entries.TryGetValue(key, out var entry) && entry.ExpiresAt > now)
                {
                    value = entry.Value;
                    return true;
                }
                _entries.Remove(key);
                value = default;
                return false;
            }
        }

        /// <summary>False when onlyIfAbsent and a live entry exists.</summary>
        public bool Set(string key, T value, DateTimeOffset now, DateTimeOffset expiresAt, bool onlyIfAbsent)
        {
            lock (_gate)
            {
                if (onlyIfAbsent && _entries.TryGetValue(key, out var existing) && existing.ExpiresAt > now)
                {
                    return false;
                }
                _entries[key] = (value, expiresAt);
                if (_entries.Count > capacity)
                {
                    Evict(now);
                }
                return true;
            }
        }

        public void Remove(string key)
        {
            lock (_gate)
            {
                _entries.Remove(key);
            }
        }

        // Expired entries first; if still full, those closest to expiry. Trims to 90 % so eviction is not paid on every insert.
        private void Evict(DateTimeOffset now)
        {
            foreach (var key in _entries.Where(e => e.Value.ExpiresAt <= now).Select(e => e.Key).ToList())
            {
                _entries.Remove(key);
            }
            var target = Math.Max(1, capacity - (capacity / 10));
            if (_entries.Count <= capacity)
            {
                return;
            }
            var excess = _entries.Count - target;
            foreach (var key in _entries.OrderBy(e => e.Value.ExpiresAt).Take(excess).Select(e => e.Key).ToList())
            {
                _entries.Remove(key);
            }
        }
    }
}
