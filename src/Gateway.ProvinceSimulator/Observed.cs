namespace Gateway.ProvinceSimulator;

/// <summary>An append-only history that callers can await: "the n-th item matching p".</summary>
internal sealed class Observed<T>(string what)
{
    private sealed class Waiter(Func<T, bool> predicate, int needed)
    {
        public readonly Func<T, bool> Predicate = predicate;
        public readonly int Needed = needed;
        public int Seen;
        public readonly TaskCompletionSource<T> Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly object _gate = new();
    private readonly List<T> _items = [];
    private readonly List<Waiter> _waiters = [];

    public void Add(T item)
    {
        lock (_gate)
        {
            _items.Add(item);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                var w = _waiters[i];
                if (!w.Predicate(item) || ++w.Seen < w.Needed) continue;
                _waiters.RemoveAt(i);
                w.Done.TrySetResult(item);
            }
        }
    }

    public int Count
    {
        get { lock (_gate) return _items.Count; }
    }

    public IReadOnlyList<T> Snapshot()
    {
        lock (_gate) return _items.ToList();
    }

    /// <summary>Completes with the <paramref name="count"/>-th matching item, counting those already seen.</summary>
    public async Task<T> WaitAsync(Func<T, bool> predicate, int count, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Waiter waiter;
        lock (_gate)
        {
            var matching = _items.Where(predicate).ToList();
            if (matching.Count >= count) return matching[count - 1];
            waiter = new Waiter(predicate, count) { Seen = matching.Count };
            _waiters.Add(waiter);
        }
        try
        {
            return await waiter.Done.Task.WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            lock (_gate) _waiters.Remove(waiter);
            throw new TimeoutException($"Waited {timeout.TotalSeconds:0.#} s for {count} {what} matching the condition; saw {waiter.Seen}.");
        }
        catch (OperationCanceledException)
        {
            lock (_gate) _waiters.Remove(waiter);
            throw;
        }
    }
}
