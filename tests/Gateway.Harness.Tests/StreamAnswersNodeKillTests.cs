using Gateway.Contracts.Transfer.V1;
using Gateway.Node.Transfers;
using Gateway.ProvinceSimulator;
using Gateway.Storage;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit.Abstractions;
using WorkItem = Gateway.Contracts.Transfer.V1.WorkItem;

namespace Gateway.Harness.Tests;

/// <summary>Two nodes as processes and no simulated province systems: the test is the province system.</summary>
public sealed class StreamKillFixture : IAsyncLifetime
{
    public const string Origin = ProcessClusterFixture.Origin;
    public const string Destination = ProcessClusterFixture.Destination;

    public GatewayCluster Cluster { get; private set; } = null!;
    public TransferDriver Driver { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await ProcessClusterFixture.StartAsync(startSimulators: false, peoplePerProvince: 40);
        Driver = new TransferDriver(Cluster);
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    public NodeDb Db(string province) => new(Cluster[province].ConnectionString);
}

/// <summary>
/// 1,000 answers on the bidirectional work-item stream, the node SIGKILLed while they are in flight and restarted;
/// the client re-sends, under the same keys, every answer it has no result for. Every answer must take effect exactly
/// once (DESIGN §6.1: province system → node), whether its first send was committed before the kill or not.
/// </summary>
public sealed class StreamAnswersNodeKillTests(StreamKillFixture fx, ITestOutputHelper output) : IClassFixture<StreamKillFixture>
{
    private const int RealTransfers = 10;
    private const int Answers = 1_000;
    private const int Window = 128;        // answers sent and not yet resolved, at most
    private const int KillAfterResults = 400;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private static DateOnly Today => TransferDriver.Today;

    [Fact]
    public async Task A_thousand_stream_answers_across_a_node_kill_each_take_effect_exactly_once()
    {
        var node = fx.Cluster[StreamKillFixture.Origin];
        var db = fx.Db(StreamKillFixture.Origin);

        // Real effects: each real transfer's origin check, answered "not suspended", returns the letter (one outbox row).
        var real = new List<string>();
        for (var i = 0; i < RealTransfers; i++)
        {
            var person = fx.Driver.PickPerson(StreamKillFixture.Origin, EnrolmentState.Active);
            var certificate = await fx.Driver.IssueCertificateAsync(StreamKillFixture.Origin, person, Today);
            real.Add((await fx.Driver.SubmitAsync(StreamKillFixture.Destination, certificate, Today)).TransferId);
        }
        var checkItems = real.Select(t => TransferSteps.ItemId(t, Steps.CheckOrigin)).ToList();
        await NodeDb.WaitUntilAsync(async () => await db.CountAsync("SELECT count(*) FROM work_items WHERE item_id = ANY(@ids)", ("ids", checkItems.ToArray())) == RealTransfers,
            Timeout, "every origin check item");

        // The rest: acknowledgement items put straight into the node's store, spread over a few more real transfers.
        var hosts = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var person = fx.Driver.PickPerson(StreamKillFixture.Origin, EnrolmentState.Suspended);
            var certificate = await fx.Driver.IssueCertificateAsync(StreamKillFixture.Origin, person, Today);
            hosts.Add((await fx.Driver.SubmitAsync(StreamKillFixture.Destination, certificate, Today)).TransferId);
        }
        await NodeDb.WaitUntilAsync(async () => await db.CountAsync("SELECT count(*) FROM transfers WHERE transfer_id = ANY(@ids)", ("ids", hosts.ToArray())) == hosts.Count,
            Timeout, "the host transfers at the origin");
        var closeItems = await AddAcknowledgementItemsAsync(node.ConnectionString, hosts, Answers - RealTransfers);

        var answers = checkItems.Select(id => Keyed(id, new AnswerWorkItemRequest { ItemId = id, OriginEnrolment = new OriginEnrolmentAnswer { Status = EnrolmentStatus.Active } }))
            .Concat(closeItems.Select(id => Keyed(id, new AnswerWorkItemRequest { ItemId = id, Acknowledgement = new Acknowledgement() })))
            .ToList();
        var byKey = answers.ToDictionary(a => a.IdempotencyKey);
        var results = new Dictionary<string, AnswerResult>();

        // First stream: answers flow until enough results came back, then the node dies with the rest in flight.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var firstRun = await ExchangeAsync(node.Channel, answers, results, stopAfterResults: KillAfterResults);
        var firstTook = clock.Elapsed;
        await node.KillAsync();
        var committedBeforeKill = await db.CountAsync("SELECT count(*) FROM idempotency_keys WHERE key = ANY(@k)", ("k", byKey.Keys.ToArray()));
        await node.StartAsync();

        // Second stream: everything without a result goes again under its first key.
        List<KeyedAnswer> resent;
        lock (results) resent = answers.Where(a => !results.ContainsKey(a.IdempotencyKey)).ToList();
        clock.Restart();
        var secondRun = await ExchangeAsync(node.Channel, resent, results, stopAfterResults: null);
        // Figures for the record only; nothing here depends on them.
        output.WriteLine($"before the kill: {firstRun.Sent} sent, {KillAfterResults} results in {firstTook.TotalMilliseconds:F0} ms, {committedBeforeKill} committed");
        output.WriteLine($"after the restart: {resent.Count} re-sent and answered in {clock.Elapsed.TotalMilliseconds:F0} ms ({resent.Count / clock.Elapsed.TotalSeconds:F0} answers/s)");

        // The kill fell in the middle: some answers committed before it, some only after.
        Assert.InRange(committedBeforeKill, KillAfterResults, Answers - 1);
        Assert.True(firstRun.Sent > KillAfterResults, $"sent {firstRun.Sent} before the kill");
        Assert.Equal(Answers, results.Count);
        Assert.All(results.Values, r => Assert.Equal(AnswerResult.OutcomeOneofCase.Response, r.OutcomeCase));
        Assert.All(results.Values, r => Assert.False(r.Response.AlreadyAnswered, $"{r.ItemId} was applied before its first result"));
        Assert.Equal(resent.Count, secondRun.Sent);

        // Each item answered once, with this answer; one key record each, holding the first (not a repeated) response.
        var ids = answers.Select(a => a.Answer.ItemId).ToArray();
        var rows = await db.QueryAsync("SELECT item_id, status, answer FROM work_items WHERE item_id = ANY(@ids)",
            r => (Id: r.GetString(0), Status: r.GetString(1), Answer: r.GetFieldValue<byte[]>(2)), ("ids", ids));
        Assert.Equal(Answers, rows.Count);
        Assert.All(rows, r => Assert.Equal("answered", r.Status));
        var answerOf = answers.ToDictionary(a => a.Answer.ItemId, a => a.Answer);
        Assert.All(rows, r => Assert.Equal(answerOf[r.Id], AnswerWorkItemRequest.Parser.ParseFrom(r.Answer)));
        var keys = await db.QueryAsync("SELECT key, response FROM idempotency_keys WHERE key = ANY(@k)",
            r => (Key: r.GetString(0), Response: AnswerWorkItemResponse.Parser.ParseFrom(r.GetFieldValue<byte[]>(1))), ("k", byKey.Keys.ToArray()));
        Assert.Equal(Answers, keys.Count);
        Assert.All(keys, k => Assert.False(k.Response.AlreadyAnswered));
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM work_item_answer_conflicts WHERE item_id = ANY(@ids)", ("ids", ids)));

        // The real effects happened once each: one returned letter per transfer, nothing held.
        foreach (var transferId in real)
        {
            Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM outbox WHERE correlation_id = @id AND message_type = 'LetterReturned'", ("id", transferId)));
            var view = await fx.Driver.Client(StreamKillFixture.Origin).GetTransferAsync(new GetTransferRequest { TransferId = transferId });
            Assert.Equal(TransferState.LetterReturned, view.State);
            Assert.False(view.Held);
        }
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM outbox WHERE correlation_id = ANY(@ids)", ("ids", hosts.ToArray())));
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM transfers WHERE transfer_id = ANY(@ids) AND hold_reason IS NOT NULL", ("ids", hosts.Concat(real).ToArray())));
    }

    private static KeyedAnswer Keyed(string itemId, AnswerWorkItemRequest answer) =>
        new() { IdempotencyKey = $"kill-stream-{itemId}", Answer = answer };

    private static async Task<List<string>> AddAcknowledgementItemsAsync(string connectionString, IReadOnlyList<string> transfers, int count)
    {
        await using var db = NodeDatabase.Create(connectionString);
        var now = DateTimeOffset.UtcNow;
        var items = Enumerable.Range(0, count).Select(i =>
        {
            var transferId = transfers[i % transfers.Count];
            var id = $"{transferId}:stream-ack-{i:D4}";
            var payload = new WorkItem { ItemId = id, Kind = WorkItemKind.CloseOriginRecord, TransferId = transferId }.ToByteArray();
            return new Storage.WorkItem(id, "close_origin_record", transferId, payload, now + TimeSpan.FromMilliseconds(i));
        }).ToList();
        await db.InTransactionAsync(async (c, t, ct) =>
        {
            foreach (var item in items) await WorkItemStore.AddAsync(c, t, item, ct);
        });
        return items.Select(i => i.ItemId).ToList();
    }

    private sealed record Run(int Sent);

    /// <summary>
    /// One ExchangeWorkItems call: sends <paramref name="answers"/> with at most <see cref="Window"/> unresolved, records
    /// each success. With <paramref name="stopAfterResults"/> it returns, the call still open, once that many results came;
    /// otherwise it half-closes after the last send and reads until the node ends the call.
    /// </summary>
    private static async Task<Run> ExchangeAsync(GrpcChannel channel, IReadOnlyList<KeyedAnswer> answers, Dictionary<string, AnswerResult> results, int? stopAfterResults)
    {
        var client = new WorkItemService.WorkItemServiceClient(channel);
        var call = client.ExchangeWorkItems(deadline: DateTime.UtcNow + Timeout);
        await call.RequestStream.WriteAsync(new WorkItemClientMessage { Subscribe = new SubscribeWorkItemsRequest { Subscriber = "kill-test" } });
        using var window = new SemaphoreSlim(Window);
        var seen = 0;
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failures = new List<string>();
        var reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in call.ResponseStream.ReadAllAsync())
                {
                    if (message.Result is not { } result) continue;
                    if (result.OutcomeCase == AnswerResult.OutcomeOneofCase.Response)
                        lock (results) results[result.IdempotencyKey] = result;
                    else
                        lock (failures) failures.Add($"{result.ItemId}: {result.Error?.Code} {result.Error?.Message}");
                    window.Release();
                    if (++seen == stopAfterResults) enough.TrySetResult();
                }
            }
            catch (RpcException) when (stopAfterResults is not null) { } // the node was killed under the call
            finally { enough.TrySetResult(); }
        });

        var sent = 0;
        foreach (var answer in answers)
        {
            var slot = window.WaitAsync(Timeout);
            if (await Task.WhenAny(slot, enough.Task) != slot || !await slot) break;
            await call.RequestStream.WriteAsync(new WorkItemClientMessage { Answer = answer });
            sent++;
        }
        lock (failures) Assert.Empty(failures);
        if (stopAfterResults is not null)
        {
            await enough.Task.WaitAsync(Timeout);
            // The call is left open for the kill; its reader ends with the broken connection.
            _ = reading.ContinueWith(_ => call.Dispose(), TaskScheduler.Default);
            return new Run(sent);
        }
        await call.RequestStream.CompleteAsync();
        await reading.WaitAsync(Timeout);
        lock (failures) Assert.Empty(failures);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        call.Dispose();
        return new Run(sent);
    }
}
