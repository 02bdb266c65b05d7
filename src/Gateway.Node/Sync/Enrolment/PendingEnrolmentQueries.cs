using System.Collections.Concurrent;
using Gateway.Contracts.Exchange.V1;
using Gateway.Node.Application;

namespace Gateway.Node.Sync.Enrolment;

/// <summary>
/// Reads asked at a node that is not the person's index province wait here for the index's answer: query id → the
/// waiting call. In memory on purpose: a query outlives its call by nothing, and a late answer finds no one and is
/// acknowledged and dropped.
/// </summary>
public sealed class PendingEnrolmentQueries
{
    /// <summary>More waiting calls than this are refused at once: each holds a call open.</summary>
    public const int MaxPending = 1_000;

    private readonly ConcurrentDictionary<string, Waiting> _waiting = new(StringComparer.Ordinal);

    private sealed record Waiting(string IndexProvince, TaskCompletionSource<EnrolmentQueryAnswered> Answer);

    public int Count => _waiting.Count;

    public Query Register(string indexProvince)
    {
        if (_waiting.Count >= MaxPending)
            throw new UnavailableException(EnrolmentCodes.TooManyQueries, $"{MaxPending} reads already wait for index provinces; ask again shortly.");
        var id = $"Q{Guid.CreateVersion7():N}";
        var waiting = new Waiting(indexProvince, new(TaskCreationOptions.RunContinuationsAsynchronously));
        _waiting[id] = waiting;
        return new Query(this, id, waiting.Answer.Task);
    }

    /// <summary>
    /// Hands the answer to its waiting call. False when no call waits (it gave up): the answer is dropped. An answer from
    /// a province other than the one asked is untrusted.
    /// </summary>
    public bool Complete(string queryId, string sender, EnrolmentQueryAnswered answer)
    {
        if (!_waiting.TryGetValue(queryId, out var waiting)) return false;
        if (waiting.IndexProvince != sender)
            throw new UntrustedEnvelopeException(Transfers.TrustCodes.SenderMismatch,
                $"An answer to an enrolment query from {sender}, which was asked of {waiting.IndexProvince}.");
        return waiting.Answer.TrySetResult(answer);
    }

    public sealed class Query(PendingEnrolmentQueries owner, string id, Task<EnrolmentQueryAnswered> answer) : IDisposable
    {
        public string Id => id;
        public Task<EnrolmentQueryAnswered> Answer => answer;
        public void Dispose() => owner._waiting.TryRemove(id, out _);
    }
}
