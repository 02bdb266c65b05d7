using System.Collections.Concurrent;
using System.Threading.Channels;
using Gateway.Contracts.Transfer.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.ProvinceSimulator;

/// <summary>
/// A province's business system as its gateway node sees it: subscribes to work items, answers
/// each from its <see cref="SyntheticRegistry"/> (at most once per item id; a redelivered item gets the same answer), and
/// reconnects with bounded backoff when the stream breaks. By default items and answers share one ExchangeWorkItems
/// stream and up to <see cref="SimulatorOptions.MaxAnswersInFlight"/> items are answered at once
/// (<see cref="SimulatorOptions.Path"/> selects the unary path instead). Also fills in the documents a clerk would submit.
/// </summary>
public sealed class SimulatedProvinceSystem : IAsyncDisposable
{
    public const string IdempotencyHeader = "idempotency-key";

    private readonly GrpcChannel _channel;
    private readonly bool _ownsChannel;
    private readonly WorkItemService.WorkItemServiceClient _workItems;
    private readonly SimulatorOptions _options;
    private readonly ILogger _logger;
    private readonly WorkItemAnswerer _answerer;
    private readonly PauseGate _pause = new();
    private readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>(new() { SingleReader = true });
    private readonly ConcurrentDictionary<string, AnswerWorkItemRequest> _answers = new(StringComparer.Ordinal);
    // Per item id, the last delivery being answered: a delivery meanwhile waits for it, then re-sends the same answer.
    private readonly Dictionary<string, Task> _inFlight = new(StringComparer.Ordinal);
    private volatile StreamAnswerSession? _session;
    private readonly Observed<WorkItem> _received = new("received work items");
    private readonly Observed<AnsweredWorkItem> _answered = new("answered work items");
    private readonly Observed<ReturnedLetterNotice> _returnedLetters = new("returned-letter notices");
    private readonly Observed<int> _subscribed = new("subscriptions");

    private volatile Behaviour _behaviour = Behaviour.Normal;
    private long _duplicates, _answerFailures, _subscriptions, _disconnects;
    private CancellationTokenSource? _stop;
    private Task _running = Task.CompletedTask;

    public SimulatedProvinceSystem(
        string provinceCode, GrpcChannel nodeChannel, SyntheticRegistry registry,
        ILogger<SimulatedProvinceSystem>? logger = null, SimulatorOptions? options = null)
        : this(provinceCode, nodeChannel, ownsChannel: false, registry, logger, options) { }

    /// <summary>Connects to the node at <paramref name="nodeAddress"/> (h2c for http://) and owns that channel.</summary>
    public SimulatedProvinceSystem(
        string provinceCode, Uri nodeAddress, SyntheticRegistry registry,
        ILogger<SimulatedProvinceSystem>? logger = null, SimulatorOptions? options = null)
        : this(provinceCode, CreateChannel(nodeAddress), ownsChannel: true, registry, logger, options) { }

    private SimulatedProvinceSystem(
        string provinceCode, GrpcChannel channel, bool ownsChannel, SyntheticRegistry registry,
        ILogger? logger, SimulatorOptions? options)
    {
        ArgumentNullException.ThrowIfNull(registry);
        if (registry.ProvinceCode != provinceCode)
            throw new ArgumentException($"Registry is for province {registry.ProvinceCode}, not {provinceCode}.", nameof(registry));
        _channel = channel;
        _ownsChannel = ownsChannel;
        _workItems = new WorkItemService.WorkItemServiceClient(channel);
        Transfers = new TransferService.TransferServiceClient(channel);
        _options = options ?? new SimulatorOptions();
        _logger = logger ?? NullLogger<SimulatedProvinceSystem>.Instance;
        Registry = registry;
        Documents = new ProvinceDocuments(registry.Profile);
        _answerer = new WorkItemAnswerer(registry, Documents, () => _behaviour, _returnedLetters.Add, _options.TimeProvider, _logger);
    }

    public string ProvinceCode => Registry.ProvinceCode;
    public SyntheticRegistry Registry { get; }
    public ProvinceDocuments Documents { get; }

    /// <summary>The node's transfer API, for the clerk side (issue certificates, submit applications).</summary>
    public TransferService.TransferServiceClient Transfers { get; }

    public Behaviour Behaviour { get => _behaviour; set => _behaviour = value; }

    /// <summary>While paused, items are received and queued but not answered.</summary>
    public void Pause() => _pause.Pause();
    public void Resume() => _pause.Resume();
    public bool IsPaused => _pause.IsPaused;

    public SimulatorCounters Counters => new(
        Received: _received.Count,
        Answered: _answered.Count,
        Duplicates: Interlocked.Read(ref _duplicates),
        AnswerFailures: Interlocked.Read(ref _answerFailures),
        Subscriptions: Interlocked.Read(ref _subscriptions),
        Disconnects: Interlocked.Read(ref _disconnects));

    /// <summary>Raised on the receiving loop for every delivery; keep handlers short.</summary>
    public event EventHandler<WorkItem>? ItemReceived;

    /// <summary>Raised when the node accepted an answer.</summary>
    public event EventHandler<AnsweredWorkItem>? ItemAnswered;

    public IReadOnlyList<WorkItem> ReceivedItems => _received.Snapshot();
    public IReadOnlyList<AnsweredWorkItem> AnsweredItems => _answered.Snapshot();
    public IReadOnlyList<ReturnedLetterNotice> ReturnedLetters => _returnedLetters.Snapshot();

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_stop is not null) throw new InvalidOperationException("Already started; create a new instance to start again.");
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ct = _stop.Token;
        _running = Task.WhenAll(
            Task.Run(() => ReceiveLoopAsync(ct), CancellationToken.None),
            Task.Run(() => ProcessLoopAsync(ct), CancellationToken.None));
        _logger.LogInformation("Province {Province} simulator started against {Address}", ProvinceCode, _channel.Target);
        return Task.CompletedTask;
    }

    public async Task StopAsync()
    {
        if (_stop is null) return;
        await _stop.CancelAsync();
        try { await _running; }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop?.Dispose();
        if (_ownsChannel) _channel.Dispose();
    }

    // ---- waiting helpers for tests and the demo ----

    public Task<WorkItem> WaitForReceivedAsync(Func<WorkItem, bool> predicate, TimeSpan timeout, int count = 1) =>
        _received.WaitAsync(predicate, count, timeout);

    public Task<AnsweredWorkItem> WaitForAnsweredAsync(Func<AnsweredWorkItem, bool> predicate, TimeSpan timeout, int count = 1) =>
        _answered.WaitAsync(predicate, count, timeout);

    public Task<AnsweredWorkItem> WaitForAnsweredAsync(string itemId, TimeSpan timeout) =>
        _answered.WaitAsync(a => a.ItemId == itemId, 1, timeout);

    /// <summary>Completes when <paramref name="count"/> answers in all have been accepted by the node.</summary>
    public Task WaitForAnsweredCountAsync(int count, TimeSpan timeout) => _answered.WaitAsync(_ => true, count, timeout);

    /// <summary>Completes when the <paramref name="count"/>-th subscription has been opened (1 = first connect).</summary>
    public Task WaitForSubscribedAsync(TimeSpan timeout, int count = 1) => _subscribed.WaitAsync(_ => true, count, timeout);

    // ---- clerk side ----

    public Certificate BuildCertificate(SyntheticPerson person, Agency? issuingAgency, DateOnly issuedOn) =>
        Documents.BuildCertificate(person, issuingAgency, issuedOn);

    public Application BuildApplication(Certificate certificate, DateOnly submittedOn, Applicant? applicant = null) =>
        Documents.BuildApplication(certificate, submittedOn, applicant);

    public Agency BuildDestinationAgency(string? poolingRegion = null) => Documents.BuildDestinationAgency(poolingRegion);

    public BankAccount BuildBankAccount(Agency agency) => Documents.BuildBankAccount(agency);

    /// <summary>Records a certificate at the node; the key makes a retry of the same issue harmless.</summary>
    public async Task<Certificate> IssueCertificateAsync(SyntheticPerson person, DateOnly issuedOn, CancellationToken ct = default)
    {
        var request = new IssueCertificateRequest { Certificate = BuildCertificate(person, null, issuedOn) };
        var key = $"certificate-{KeyPart(person.IdentityNumber)}-{issuedOn:yyyyMMdd}";
        return await Transfers.IssueCertificateAsync(request, Keyed(key), Deadline(), ct);
    }

    /// <summary>Accepts an application with the certificate the person presents here.</summary>
    public async Task<Transfer> SubmitApplicationAsync(Certificate certificate, DateOnly acceptedOn, CancellationToken ct = default)
    {
        var request = Documents.BuildSubmitApplication(certificate, acceptedOn);
        var reference = string.IsNullOrEmpty(certificate.Number) ? KeyPart(certificate.Person.Certno) : certificate.Number;
        var key = $"application-{reference}-{acceptedOn:yyyyMMdd}";
        return await Transfers.SubmitApplicationAsync(request, Keyed(key), Deadline(), ct);
    }

    // ---- the loops ----

    private async Task ReceiveLoopAsync(CancellationToken ct)
    {
        var subscriber = _options.SubscriberName ?? $"province-simulator-{ProvinceCode}";
        var attempt = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // The server may hold headers until its first item; count the subscription once it answers at all.
                var opened = 0;
                void Opened()
                {
                    if (Interlocked.Exchange(ref opened, 1) == 0) CountSubscription();
                    attempt = 0;
                }
                if (_options.Path == WorkItemPath.Stream)
                    await ExchangeAsync(subscriber, Opened, ct);
                else
                    await SubscribeAsync(subscriber, Opened, ct);
                if (Volatile.Read(ref opened) == 1) attempt = 0;
                _logger.LogInformation("Work-item stream ended by the node; re-subscribing");
            }
            catch (Exception ex) when (ct.IsCancellationRequested && ex is OperationCanceledException or RpcException)
            {
                break;
            }
            catch (RpcException ex)
            {
                _logger.LogWarning("Work-item stream broke ({Status}: {Detail}); retry {Attempt}", ex.StatusCode, ex.Status.Detail, attempt + 1);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Work-item stream failed; retry {Attempt}", attempt + 1);
            }
            Interlocked.Increment(ref _disconnects);
            try { await Task.Delay(_options.Backoff(attempt++), ct); }
            catch (OperationCanceledException) { break; }
        }
    }

    private async Task SubscribeAsync(string subscriber, Action opened, CancellationToken ct)
    {
        using var call = _workItems.SubscribeWorkItems(new SubscribeWorkItemsRequest { Subscriber = subscriber }, cancellationToken: ct);
        _ = call.ResponseHeadersAsync.ContinueWith(t => { if (t.IsCompletedSuccessfully) opened(); }, TaskScheduler.Default);
        await foreach (var item in call.ResponseStream.ReadAllAsync(ct))
        {
            opened();
            await ReceivedAsync(item, ct);
        }
    }

    private async Task ExchangeAsync(string subscriber, Action opened, CancellationToken ct)
    {
        using var call = _workItems.ExchangeWorkItems(cancellationToken: ct);
        var session = new StreamAnswerSession(call.RequestStream);
        try
        {
            await session.WriteAsync(new WorkItemClientMessage { Subscribe = new SubscribeWorkItemsRequest { Subscriber = subscriber } }, ct);
            _ = call.ResponseHeadersAsync.ContinueWith(t => { if (t.IsCompletedSuccessfully) opened(); }, TaskScheduler.Default);
            _session = session;
            await foreach (var message in call.ResponseStream.ReadAllAsync(ct))
            {
                opened();
                if (message.Item is { } item) await ReceivedAsync(item, ct);
                else if (message.Result is { } result) session.Complete(result);
            }
        }
        finally
        {
            Interlocked.CompareExchange(ref _session, null, session);
            session.Close();
        }
    }

    private async Task ReceivedAsync(WorkItem item, CancellationToken ct)
    {
        // Observers first, so anyone woken by a wait sees their effects.
        Raise(ItemReceived, item);
        _received.Add(item);
        await _queue.Writer.WriteAsync(item, ct);
    }

    private void CountSubscription()
    {
        var n = (int)Interlocked.Increment(ref _subscriptions);
        _subscribed.Add(n);
        _logger.LogInformation("Subscribed to work items (subscription {Count})", n);
    }

    private async Task ProcessLoopAsync(CancellationToken ct)
    {
        using var slots = new SemaphoreSlim(Math.Max(1, _options.MaxAnswersInFlight));
        var running = new ConcurrentDictionary<Task, byte>();
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(ct))
            {
                await _pause.WaitAsync(ct);
                await slots.WaitAsync(ct);
                var task = Task.Run(async () =>
                {
                    try { await HandleGuardedAsync(item, ct); }
                    finally { slots.Release(); }
                }, CancellationToken.None);
                running.TryAdd(task, 0);
                _ = task.ContinueWith(t => running.TryRemove(t, out _), TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        try { await Task.WhenAll(running.Keys); }
        catch (OperationCanceledException) { }
    }

    private async Task HandleGuardedAsync(WorkItem item, CancellationToken ct)
    {
        // Deliveries of one item id run one after another, so it is applied once and every delivery gets the same answer.
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task previous;
        lock (_inFlight)
        {
            previous = _inFlight.GetValueOrDefault(item.ItemId) ?? Task.CompletedTask;
            _inFlight[item.ItemId] = mine.Task;
        }
        try
        {
            await previous;
            await HandleAsync(item, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Keep answering the rest; the node redelivers this one later.
            Interlocked.Increment(ref _answerFailures);
            _logger.LogError(ex, "Item {ItemId} failed unexpectedly", item.ItemId);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        finally
        {
            mine.SetResult();
            lock (_inFlight)
                if (_inFlight.TryGetValue(item.ItemId, out var last) && last == mine.Task) _inFlight.Remove(item.ItemId);
        }
    }

    private async Task HandleAsync(WorkItem item, CancellationToken ct)
    {
        AnswerWorkItemRequest? answer;
        bool repeat;
        try
        {
            repeat = _answers.TryGetValue(item.ItemId, out answer) || Registry.HasApplied(item.ItemId);
            if (repeat)
            {
                Interlocked.Increment(ref _duplicates);
                _logger.LogInformation("Item {ItemId} ({Kind}) delivered again (delivery {Delivery}); re-sending the same answer", item.ItemId, item.Kind, item.DeliveryCount);
            }
            answer ??= _answerer.Answer(item);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Interlocked.Increment(ref _answerFailures);
            _logger.LogError(ex, "Cannot answer item {ItemId} ({Kind}) of transfer {TransferId}", item.ItemId, item.Kind, item.TransferId);
            return;
        }
        if (answer is null)
        {
            Interlocked.Increment(ref _answerFailures);
            _logger.LogWarning("Item {ItemId} has kind {Kind}, which this system does not know; left unanswered", item.ItemId, item.Kind);
            return;
        }
        _answers[item.ItemId] = answer;
        await SendAnswerAsync(item, answer, repeat, ct);
    }

    private async Task SendAnswerAsync(WorkItem item, AnswerWorkItemRequest answer, bool repeat, CancellationToken ct)
    {
        var key = "answer-" + item.ItemId;
        for (var attempt = 1; ; attempt++)
        {
            StatusCode code;
            string detail;
            try
            {
                var response = _options.Path == WorkItemPath.Stream
                    ? await AnswerOnStreamAsync(key, answer, ct)
                    : await _workItems.AnswerWorkItemAsync(answer, Keyed(key), Deadline(), ct);
                var answered = new AnsweredWorkItem(item, answer, repeat, response.AlreadyAnswered);
                Raise(ItemAnswered, answered);
                _answered.Add(answered);
                _logger.LogInformation("Answered item {ItemId} ({Kind}) of transfer {TransferId}", item.ItemId, item.Kind, item.TransferId);
                return;
            }
            catch (RpcException ex) when (!ct.IsCancellationRequested)
            {
                (code, detail) = (ex.StatusCode, ex.Status.Detail);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && ex is StreamClosedException or TimeoutException)
            {
                (code, detail) = (StatusCode.Unavailable, ex.Message);
            }
            if (IsTransient(code) && attempt < _options.AnswerAttempts)
            {
                _logger.LogWarning("Answer to item {ItemId} failed ({Status}); attempt {Attempt} of {Max}", item.ItemId, code, attempt, _options.AnswerAttempts);
                await Task.Delay(_options.Backoff(attempt - 1), ct);
                continue;
            }
            // The node delivers the item again after it restarts or we re-subscribe; the cached answer goes then.
            Interlocked.Increment(ref _answerFailures);
            _logger.LogError("Answer to item {ItemId} ({Kind}) given up ({Status}: {Detail})", item.ItemId, item.Kind, code, detail);
            return;
        }
    }

    /// <summary>The answer on the open stream; its result's error surfaces as the unary call's would have.</summary>
    private async Task<AnswerWorkItemResponse> AnswerOnStreamAsync(string key, AnswerWorkItemRequest answer, CancellationToken ct)
    {
        var session = _session ?? throw new StreamClosedException();
        var result = await session.AnswerAsync(new KeyedAnswer { IdempotencyKey = key, Answer = answer }, _options.CallTimeout, ct);
        if (result.OutcomeCase == AnswerResult.OutcomeOneofCase.Response) return result.Response;
        // A result with no outcome is the node's slip, not a refusal: ask again with the same key, which replays the outcome.
        var error = result.Error ?? new Google.Rpc.Status { Code = (int)StatusCode.Unavailable, Message = "The node sent a result without an outcome; asking again with the same key." };
        throw new RpcException(new Status((StatusCode)error.Code, error.Message));
    }

    private void Raise<T>(EventHandler<T>? handler, T args)
    {
        // A faulty observer must not stop the province from answering.
        try { handler?.Invoke(this, args); }
        catch (Exception ex) { _logger.LogError(ex, "An event handler of the simulator threw"); }
    }

    private static bool IsTransient(StatusCode code) => code is
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Aborted
        or StatusCode.ResourceExhausted or StatusCode.Internal or StatusCode.Unknown;

    // Keys end up in logs: carry a digest of an identity number, never the number itself.
    private static string KeyPart(string certno) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(certno)))[..16];

    private static Metadata Keyed(string key) => new() { { IdempotencyHeader, key } };

    private DateTime Deadline() => DateTime.UtcNow.Add(_options.CallTimeout);

    private static GrpcChannel CreateChannel(Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            // Notice a node that died without closing the connection.
            KeepAlivePingDelay = TimeSpan.FromSeconds(10),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            EnableMultipleHttp2Connections = true,
        },
    });
}
