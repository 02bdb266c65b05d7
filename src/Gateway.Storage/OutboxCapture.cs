namespace Gateway.Storage;

/// <summary>
/// The outbox rows one unit of work inserted, known to be committed once its transaction is. Whoever opened the
/// capture hands them straight to the producer instead of waiting for the relay to find them. Rows written under a
/// capture are first due for the relay only after <see cref="OutboxStore.HandOffLease"/>, so the relay sends them
/// only when the hand-off did not happen (a crash, a full queue) — never both at once in the normal case, and a
/// double send is harmless anyway because the receiver dedupes by message id.
/// </summary>
/// <remarks>
/// Ambient (an <see cref="AsyncLocal{T}"/>), so the stores need no extra parameter. Each attempt of a unit of work
/// starts empty (<see cref="NodeDatabase"/> resets it), so rows of a rolled-back attempt are never handed on.
/// </remarks>
public sealed class OutboxCapture
{
    private static readonly AsyncLocal<OutboxCapture?> Ambient = new();
    private readonly List<OutboxRow> _attempt = [];
    private readonly List<OutboxRow> _committed = [];

    public static OutboxCapture? Current => Ambient.Value;

    /// <summary>Rows of every committed attempt so far, in the order they were written.</summary>
    public IReadOnlyList<OutboxRow> Committed => _committed;

    /// <summary>Opens a capture for the current async flow; disposing the scope restores the previous one.</summary>
    public static Scope Begin()
    {
        var previous = Ambient.Value;
        var capture = new OutboxCapture();
        Ambient.Value = capture;
        return new Scope(capture, previous);
    }

    internal void BeginAttempt() => _attempt.Clear();

    internal void Add(OutboxRow row) => _attempt.Add(row);

    internal void CommitAttempt()
    {
        _committed.AddRange(_attempt);
        _attempt.Clear();
    }

    public readonly struct Scope(OutboxCapture capture, OutboxCapture? previous) : IDisposable
    {
        public OutboxCapture Capture => capture;

        public void Dispose() => Ambient.Value = previous;
    }
}
