namespace Gateway.Node.Infrastructure;

/// <summary>A wake-up call between a committing transaction and a background loop. Signals coalesce;
/// the loop still polls on a timer, so a lost signal only delays, never loses, work.</summary>
public class Signal
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    public void Notify()
    {
        try { _semaphore.Release(); }
        catch (SemaphoreFullException) { /* already signalled */ }
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        try { await _semaphore.WaitAsync(timeout, ct); }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }
}

/// <summary>New outbox rows were committed.</summary>
public sealed class OutboxSignal : Signal;

/// <summary>Broadcast to every open work-item stream: new items were committed.</summary>
public sealed class WorkItemSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Notify() => Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Take this before reading the database, await it after: no notification slips between.</summary>
    public Task Next => Volatile.Read(ref _next).Task;
}
