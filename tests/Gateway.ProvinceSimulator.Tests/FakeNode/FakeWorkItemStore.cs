using System.Threading.Channels;
using Gateway.Contracts.Transfer.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Gateway.ProvinceSimulator.Tests.FakeNode;

/// <summary>
/// The fake node's state; it outlives a fake server so a "restarted node" sees the same items,
/// like the real node's database. Subscribe replays every unanswered item, then streams new ones.
/// </summary>
public sealed class FakeWorkItemStore
{
    private readonly object _gate = new();
    private readonly Dictionary<string, WorkItem> _items = [];
    private readonly Dictionary<string, AnswerWorkItemRequest> _answers = [];
    private readonly Dictionary<string, AnswerWorkItemRequest> _byKey = [];
    private readonly Dictionary<string, int> _answerCalls = [];
    private readonly List<Channel<WorkItem>> _subscribers = [];
    private int _failNextAnswers;
    private TaskCompletionSource _answersAllowed = Released();
    private int _streamAnswersWaiting, _maxStreamAnswersWaiting, _streamAnswers, _unaryAnswers;

    public WorkItem Enqueue(WorkItem item)
    {
        item = item.Clone();
        item.CreatedAt ??= Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 3, 2, 1, 30, 0, TimeSpan.Zero));
        lock (_gate)
        {
            _items[item.ItemId] = item;
            Push(item);
        }
        return item;
    }

    /// <summary>Delivers an item again, as the real node does after a restart.</summary>
    public void Redeliver(string itemId)
    {
        lock (_gate) Push(_items[itemId]);
    }

    /// <summary>The next <paramref name="count"/> answers fail with UNAVAILABLE.</summary>
    public void FailNextAnswers(int count)
    {
        lock (_gate) _failNextAnswers = count;
    }

    /// <summary>Answers arriving on a stream wait (counted as in flight) until <see cref="ReleaseAnswers"/>.</summary>
    public void HoldAnswers()
    {
        lock (_gate) _answersAllowed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void ReleaseAnswers()
    {
        lock (_gate) _answersAllowed.TrySetResult();
    }

    /// <summary>Stream answers received and not yet answered, now and at most so far.</summary>
    public (int Now, int Max) StreamAnswersWaiting
    {
        get { lock (_gate) return (_streamAnswersWaiting, _maxStreamAnswersWaiting); }
    }

    /// <summary>Answers that came on the exchange stream and as unary calls.</summary>
    public (int Stream, int Unary) AnswersByPath
    {
        get { lock (_gate) return (_streamAnswers, _unaryAnswers); }
    }

    public void CountUnaryAnswer()
    {
        lock (_gate) _unaryAnswers++;
    }

    /// <summary>Waits while answers are held; dispose once answered.</summary>
    public async Task<IDisposable> EnterStreamAnswerAsync(CancellationToken ct)
    {
        Task allowed;
        lock (_gate)
        {
            _streamAnswers++;
            _streamAnswersWaiting++;
            _maxStreamAnswersWaiting = Math.Max(_maxStreamAnswersWaiting, _streamAnswersWaiting);
            allowed = _answersAllowed.Task;
        }
        var left = new Left(this);
        try { await allowed.WaitAsync(ct); }
        catch { left.Dispose(); throw; }
        return left;
    }

    private sealed class Left(FakeWorkItemStore store) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
                lock (store._gate) store._streamAnswersWaiting--;
        }
    }

    private static TaskCompletionSource Released()
    {
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        released.TrySetResult();
        return released;
    }

    public ChannelReader<WorkItem> Subscribe(out Action unsubscribe)
    {
        var channel = Channel.CreateUnbounded<WorkItem>();
        lock (_gate)
        {
            _subscribers.Add(channel);
            foreach (var item in _items.Values.Where(i => !_answers.ContainsKey(i.ItemId)).ToList())
                Push(item, channel);
        }
        unsubscribe = () => { lock (_gate) _subscribers.Remove(channel); };
        return channel.Reader;
    }

    public AnswerWorkItemResponse Answer(AnswerWorkItemRequest request, string? idempotencyKey)
    {
        lock (_gate)
        {
            if (string.IsNullOrEmpty(idempotencyKey))
                throw new RpcException(new Status(StatusCode.InvalidArgument, "idempotency-key header missing"));
            if (_failNextAnswers > 0)
            {
                _failNextAnswers--;
                throw new RpcException(new Status(StatusCode.Unavailable, "injected failure"));
            }
            if (_byKey.TryGetValue(idempotencyKey, out var first) && !first.Equals(request))
                throw new RpcException(new Status(StatusCode.FailedPrecondition, "IDEMPOTENCY_KEY_REUSED"));
            if (!_items.ContainsKey(request.ItemId))
                throw new RpcException(new Status(StatusCode.NotFound, "no such item"));
            _byKey[idempotencyKey] = request;
            _answerCalls[request.ItemId] = _answerCalls.GetValueOrDefault(request.ItemId) + 1;
            var already = !_answers.TryAdd(request.ItemId, request);
            return new AnswerWorkItemResponse { ItemId = request.ItemId, AlreadyAnswered = already };
        }
    }

    public AnswerWorkItemRequest? AnswerOf(string itemId)
    {
        lock (_gate) return _answers.GetValueOrDefault(itemId);
    }

    public int AnswerCalls(string itemId)
    {
        lock (_gate) return _answerCalls.GetValueOrDefault(itemId);
    }

    public IReadOnlyCollection<string> IdempotencyKeys
    {
        get { lock (_gate) return _byKey.Keys.ToList(); }
    }

    private void Push(WorkItem item)
    {
        foreach (var s in _subscribers) Push(item, s);
    }

    private static void Push(WorkItem item, Channel<WorkItem> to)
    {
        item.DeliveryCount++;
        to.Writer.TryWrite(item.Clone());
    }
}
