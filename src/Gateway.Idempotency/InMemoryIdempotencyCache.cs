namespace Gateway.Idempotency;

/// <summary>
/// Process-local fast path for when Redis cannot be had (the demo says so at start-up). Bounded: past
/// <c>capacity</c> the entries that expire soonest go first. Lost on restart, which is fine: PostgreSQL answers.
/// </summary>
public sealed class InMemoryIdempotencyCache : IIdempotencyCache
{
    private readonly ExpiringMap<CachedResponse> _responses;
    private readonly ExpiringMap<bool> _reservations;

    public InMemoryIdempotencyCache(int capacity = 100_000, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var clock = time ?? TimeProvider.System;
        _responses = new ExpiringMap<CachedResponse>(capacity, clock);
        _reservations = new ExpiringMap<bool>(capacity, clock);
    }

    public int Count => _responses.Count;

    public Task<CachedResponse?> GetAsync(string key, CancellationToken ct = default) =>
        Task.FromResult(_responses.TryGet(key, out var value) ? value : null);

    public Task SetAsync(string key, CachedResponse value, TimeSpan ttl, CancellationToken ct = default)
    {
        _responses.Set(key, value, ttl, onlyIfAbsent: false);
        return Task.CompletedTask;
    }

    public Task<bool> TryReserveAsync(string key, TimeSpan ttl, CancellationToken ct = default) =>
        Task.FromResult(_reservations.Set(key, true, ttl, onlyIfAbsent: true));

    public Task ReleaseAsync(string key, CancellationToken ct = default)
    {
        _reservations.Remove(key);
        return Task.CompletedTask;
    }

    private sealed class ExpiringMap<T>(int capacity, TimeProvider time)
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

        public bool TryGet(string key, out T? value)
        {
            lock (_gate)
            {
                if (_entries.TryGetValue(key, out var entry) && entry.ExpiresAt > time.GetUtcNow())
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
        public bool Set(string key, T value, TimeSpan ttl, bool onlyIfAbsent)
        {
            var now = time.GetUtcNow();
            lock (_gate)
            {
                if (onlyIfAbsent && _entries.TryGetValue(key, out var existing) && existing.ExpiresAt > now)
                {
                    return false;
                }
                _entries[key] = (value, now + ttl);
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
