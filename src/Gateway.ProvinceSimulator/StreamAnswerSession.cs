using System.Collections.Concurrent;
using Gateway.Contracts.Transfer.V1;
using Grpc.Core;

namespace Gateway.ProvinceSimulator;

/// <summary>
/// The answering half of one open ExchangeWorkItems call: writes answers one at a time (a request stream takes one
/// writer) and hands each caller the result the node sends back for its key. When the stream ends, every answer still
/// waiting fails, and its item comes again on the next subscription.
/// </summary>
internal sealed class StreamAnswerSession(IClientStreamWriter<WorkItemClientMessage> requests)
{
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<AnswerResult>> _waiting = new(StringComparer.Ordinal);
    private volatile bool _closed;

    public async Task WriteAsync(WorkItemClientMessage message, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try { await requests.WriteAsync(message, ct); }
        finally { _writeGate.Release(); }
    }

    /// <summary>Sends the answer and waits for its result, at most <paramref name="timeout"/>.</summary>
    public async Task<AnswerResult> AnswerAsync(KeyedAnswer answer, TimeSpan timeout, CancellationToken ct)
    {
        // A re-send under the same key takes over the slot: the node replays the same result for it.
        var waiter = new TaskCompletionSource<AnswerResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[answer.IdempotencyKey] = waiter;
        try
        {
            if (_closed) throw new StreamClosedException();
            await WriteAsync(new WorkItemClientMessage { Answer = answer }, ct);
            return await waiter.Task.WaitAsync(timeout, ct);
        }
        finally
        {
            _waiting.TryRemove(new KeyValuePair<string, TaskCompletionSource<AnswerResult>>(answer.IdempotencyKey, waiter));
        }
    }

    public void Complete(AnswerResult result)
    {
        if (_waiting.TryGetValue(result.IdempotencyKey, out var waiter)) waiter.TrySetResult(result);
    }

    public void Close()
    {
        _closed = true;
        foreach (var waiter in _waiting.Values) waiter.TrySetException(new StreamClosedException());
    }
}

/// <summary>The work-item stream ended before the node answered.</summary>
internal sealed class StreamClosedException() : Exception("The work-item stream ended before the node sent the result.");
