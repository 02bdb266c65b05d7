namespace Gateway.ProvinceSimulator;

/// <summary>An async gate: closed while paused, callers wait at it until resumed.</summary>
internal sealed class PauseGate
{
    private readonly object _lock = new();
    private TaskCompletionSource _open = Opened();

    public bool IsPaused
    {
        get { lock (_lock) return !_open.Task.IsCompleted; }
    }

    public void Pause()
    {
        lock (_lock)
            if (_open.Task.IsCompleted) _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Resume()
    {
        lock (_lock) _open.TrySetResult();
    }

    public Task WaitAsync(CancellationToken ct)
    {
        Task open;
        lock (_lock) open = _open.Task;
        return open.WaitAsync(ct);
    }

    private static TaskCompletionSource Opened()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        tcs.SetResult();
        return tcs;
    }
}
