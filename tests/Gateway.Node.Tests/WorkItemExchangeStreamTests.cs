using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;
using WorkItem = Gateway.Contracts.Transfer.V1.WorkItem;

namespace Gateway.Node.Tests;

/// <summary>The tests hold the province system's ExchangeWorkItems stream themselves, on two nodes with no simulators.</summary>
public sealed class WorkItemExchangeStreamTests(ManualClusterFixture fx) : IClassFixture<ManualClusterFixture>
{
    // Generous: the machine is shared and slow; nothing below measures a duration.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static DateOnly Today => TransferDriver.Today;

    /// <summary>A transfer whose origin (15) now has its CHECK_ORIGIN_ENROLMENT item pending.</summary>
    private async Task<string> UpToOriginCheckAsync()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var certificate = await fx.Driver.IssueCertificateAsync("15", person, Today);
        var transfer = await fx.Driver.SubmitAsync("51", certificate, Today);
        return transfer.TransferId;
    }

    private static KeyedAnswer Suspended(string itemId, string? key = null) => new()
    {
        IdempotencyKey = key ?? Guid.NewGuid().ToString("N"),
        Answer = new AnswerWorkItemRequest { ItemId = itemId, OriginEnrolment = new OriginEnrolmentAnswer { Status = EnrolmentStatus.Suspended } },
    };

    [Fact]
    public async Task Answers_on_the_stream_take_effect_once_and_a_bad_answer_fails_alone()
    {
        var transfers = new List<string>();
        for (var i = 0; i < 4; i++) transfers.Add(await UpToOriginCheckAsync());
        await using var stream = await ExchangeStream.OpenAsync(fx.Cluster["15"].Channel);
        foreach (var t in transfers) await stream.ItemAsync($"{t}:check-origin", Patience);

        var good = transfers.Select(t => Suspended($"{t}:check-origin")).ToList();
        var unknown = Suspended("15T00000000000000000000000000000000:check-origin");
        var wrongKind = new KeyedAnswer
        {
            IdempotencyKey = Guid.NewGuid().ToString("N"),
            Answer = new AnswerWorkItemRequest { ItemId = $"{transfers[0]}:check-origin", CreditBalance = new CreditBalanceAnswer { CreditedAmountFen = 1 } },
        };
        // Written back to back, so the node may well take them as one batch; each must stand alone either way.
        await stream.AnswerAsync(good[0], good[1], unknown, wrongKind, good[2], good[3]);

        foreach (var answer in good)
        {
            var result = await stream.ResultAsync(answer.IdempotencyKey, Patience);
            Assert.Equal(AnswerResult.OutcomeOneofCase.Response, result.OutcomeCase);
            Assert.Equal(answer.Answer.ItemId, result.ItemId);
            Assert.False(result.Response.AlreadyAnswered);
        }
        var notFound = await stream.ResultAsync(unknown.IdempotencyKey, Patience);
        Assert.Equal((int)StatusCode.NotFound, notFound.Error.Code);
        var invalid = await stream.ResultAsync(wrongKind.IdempotencyKey, Patience);
        Assert.Equal((int)StatusCode.InvalidArgument, invalid.Error.Code);
        Assert.Contains("origin_enrolment", invalid.Error.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field));

        foreach (var t in transfers)
        {
            Assert.Equal(1, await fx.CountAsync("15", "SELECT count(*) FROM work_items WHERE item_id = @id AND status = 'answered'", ("id", $"{t}:check-origin")));
            // The answer moved the transfer on once: one debit item, pushed on the same stream after the commit.
            Assert.Equal(1, await fx.CountAsync("15", "SELECT count(*) FROM work_items WHERE transfer_id = @t AND item_id = @id", ("t", t), ("id", $"{t}:build-table")));
            await stream.ItemAsync($"{t}:build-table", Patience);
            Assert.Equal(1, await fx.CountAsync("15", "SELECT count(*) FROM idempotency_keys WHERE key = @k",
                ("k", good[transfers.IndexOf(t)].IdempotencyKey)));
        }
        // The failed answers stored no key: sent again after a fix, they act.
        Assert.Equal(0, await fx.CountAsync("15", "SELECT count(*) FROM idempotency_keys WHERE key = ANY(@k)",
            ("k", new[] { unknown.IdempotencyKey, wrongKind.IdempotencyKey })));
    }

    [Fact]
    public async Task Same_key_replays_the_first_result_and_a_different_answer_under_it_is_refused()
    {
        var transferId = await UpToOriginCheckAsync();
        var itemId = $"{transferId}:check-origin";
        await using var stream = await ExchangeStream.OpenAsync(fx.Cluster["15"].Channel);
        await stream.ItemAsync(itemId, Patience);
        var first = Suspended(itemId, "stream-replay-" + Guid.NewGuid().ToString("N"));

        await stream.AnswerAsync(first);
        var applied = await stream.ResultAsync(first.IdempotencyKey, Patience);
        await stream.AnswerAsync(first);
        var replayed = await stream.ResultAsync(first.IdempotencyKey, Patience, nth: 2);
        var reused = first.Clone();
        reused.Answer.OriginEnrolment.Remarks = "another answer under the same key";
        await stream.AnswerAsync(reused);
        var refused = await stream.ResultAsync(first.IdempotencyKey, Patience, nth: 3);

        Assert.Equal(applied.Response, replayed.Response);
        Assert.False(replayed.Response.AlreadyAnswered); // the first response itself, not a second answer
        Assert.Equal((int)StatusCode.FailedPrecondition, refused.Error.Code);
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", refused.Error.GetDetail<ErrorInfo>().Reason);
        Assert.Equal(1, await fx.CountAsync("15", "SELECT count(*) FROM work_items WHERE transfer_id = @t AND item_id LIKE '%:build-table'", ("t", transferId)));
        Assert.Equal(0, await fx.CountAsync("15", "SELECT count(*) FROM work_item_answer_conflicts WHERE item_id = @id", ("id", itemId)));
    }

    [Fact]
    public async Task A_key_used_on_the_unary_call_replays_on_the_stream()
    {
        var transferId = await UpToOriginCheckAsync();
        var itemId = $"{transferId}:check-origin";
        var answer = Suspended(itemId, "both-paths-" + Guid.NewGuid().ToString("N"));
        await fx.ItemExistsAsync("15", itemId);
        var unary = await new WorkItemService.WorkItemServiceClient(fx.Cluster["15"].Channel)
            .AnswerWorkItemAsync(answer.Answer, TransferDriver.Key(answer.IdempotencyKey));

        await using var stream = await ExchangeStream.OpenAsync(fx.Cluster["15"].Channel);
        await stream.AnswerAsync(answer);
        var result = await stream.ResultAsync(answer.IdempotencyKey, Patience);

        Assert.Equal(unary, result.Response);
        Assert.Equal(1, await fx.CountAsync("15", "SELECT count(*) FROM idempotency_keys WHERE key = @k", ("k", answer.IdempotencyKey)));
    }

    [Fact]
    public async Task A_different_second_answer_is_a_conflict_result_recorded_and_held()
    {
        var transferId = await UpToOriginCheckAsync();
        var itemId = $"{transferId}:check-origin";
        await using var stream = await ExchangeStream.OpenAsync(fx.Cluster["15"].Channel);
        await stream.ItemAsync(itemId, Patience);
        var first = Suspended(itemId);
        await stream.AnswerAsync(first);
        Assert.Equal(AnswerResult.OutcomeOneofCase.Response, (await stream.ResultAsync(first.IdempotencyKey, Patience)).OutcomeCase);

        var identical = Suspended(itemId);
        var different = new KeyedAnswer
        {
            IdempotencyKey = Guid.NewGuid().ToString("N"),
            Answer = new AnswerWorkItemRequest { ItemId = itemId, OriginEnrolment = new OriginEnrolmentAnswer { Status = EnrolmentStatus.Active } },
        };
        await stream.AnswerAsync(identical, different);
        var same = await stream.ResultAsync(identical.IdempotencyKey, Patience);
        var conflict = await stream.ResultAsync(different.IdempotencyKey, Patience);

        Assert.True(same.Response.AlreadyAnswered);
        Assert.False(same.Response.Held);
        Assert.Equal((int)StatusCode.FailedPrecondition, conflict.Error.Code);
        var info = conflict.Error.GetDetail<ErrorInfo>();
        Assert.Equal("WORK_ITEM_ANSWER_CONFLICT", info.Reason);
        Assert.Equal(itemId, info.Metadata["item_id"]);
        Assert.Equal(1, await fx.CountAsync("15", "SELECT count(*) FROM work_item_answer_conflicts WHERE item_id = @id", ("id", itemId)));
        var view = await fx.Driver.Client("15").GetTransferAsync(new GetTransferRequest { TransferId = transferId });
        Assert.True(view.Held);

        // Held results replay as they were: the same key again is refused the same way, and nothing is recorded twice.
        await stream.AnswerAsync(different);
        var again = await stream.ResultAsync(different.IdempotencyKey, Patience, nth: 2);
        Assert.Equal("WORK_ITEM_ANSWER_CONFLICT", again.Error.GetDetail<ErrorInfo>().Reason);
        Assert.Equal(1, await fx.CountAsync("15", "SELECT count(*) FROM work_item_answer_conflicts WHERE item_id = @id", ("id", itemId)));
    }

    [Fact]
    public async Task An_answer_without_a_key_or_out_of_bounds_is_refused_alone_and_the_stream_goes_on()
    {
        var transferId = await UpToOriginCheckAsync();
        var itemId = $"{transferId}:check-origin";
        await using var stream = await ExchangeStream.OpenAsync(fx.Cluster["15"].Channel);
        await stream.ItemAsync(itemId, Patience);
        var keyless = Suspended(itemId, key: "");
        var controlCharacter = Suspended(itemId, key: "bad\u0001key");

        await stream.AnswerAsync(keyless);
        var missing = await stream.ResultAsync("", Patience);
        await stream.AnswerAsync(controlCharacter);
        var bounded = await stream.ResultAsync("bad\u0001key", Patience);
        var good = Suspended(itemId);
        await stream.AnswerAsync(good);
        var applied = await stream.ResultAsync(good.IdempotencyKey, Patience);

        Assert.Equal((int)StatusCode.InvalidArgument, missing.Error.Code);
        Assert.Contains("idempotency_key", missing.Error.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field));
        Assert.Equal((int)StatusCode.InvalidArgument, bounded.Error.Code);
        Assert.Contains("answer.idempotency_key", bounded.Error.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field));
        Assert.Equal(AnswerResult.OutcomeOneofCase.Response, applied.OutcomeCase);
    }

    [Fact]
    public async Task A_stream_that_does_not_subscribe_first_is_refused()
    {
        var client = new WorkItemService.WorkItemServiceClient(fx.Cluster["15"].Channel);
        using var call = client.ExchangeWorkItems(deadline: DateTime.UtcNow.AddSeconds(30));
        await call.RequestStream.WriteAsync(new WorkItemClientMessage { Answer = Suspended("15T0:check-origin") });
        await call.RequestStream.CompleteAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(async () => { while (await call.ResponseStream.MoveNext()) { } });
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("subscribe", ErrorDetails.Fields(ex));
    }

    [Fact]
    public async Task Half_closing_ends_the_call_after_every_result_is_written()
    {
        var transferId = await UpToOriginCheckAsync();
        var itemId = $"{transferId}:check-origin";
        await fx.ItemExistsAsync("15", itemId);
        var client = new WorkItemService.WorkItemServiceClient(fx.Cluster["15"].Channel);
        using var call = client.ExchangeWorkItems(deadline: DateTime.UtcNow.AddSeconds(60));
        await call.RequestStream.WriteAsync(new WorkItemClientMessage { Subscribe = new SubscribeWorkItemsRequest { Subscriber = "half-close-test" } });
        var answer = Suspended(itemId);
        await call.RequestStream.WriteAsync(new WorkItemClientMessage { Answer = answer });
        await call.RequestStream.CompleteAsync();

        var results = new List<AnswerResult>();
        while (await call.ResponseStream.MoveNext())
            if (call.ResponseStream.Current.Result is { } result) results.Add(result);

        var only = Assert.Single(results);
        Assert.Equal(answer.IdempotencyKey, only.IdempotencyKey);
        Assert.Equal(AnswerResult.OutcomeOneofCase.Response, only.OutcomeCase);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    /// <summary>The province system's side of one ExchangeWorkItems call: records items and results as they come.</summary>
    private sealed class ExchangeStream : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly AsyncDuplexStreamingCall<WorkItemClientMessage, WorkItemServerMessage> _call;
        private readonly List<WorkItem> _items = [];
        private readonly List<AnswerResult> _results = [];
        private readonly Task _reading;

        private ExchangeStream(GrpcChannel channel)
        {
            _call = new WorkItemService.WorkItemServiceClient(channel).ExchangeWorkItems(cancellationToken: _stop.Token);
            _reading = ReadAsync();
        }

        public static async Task<ExchangeStream> OpenAsync(GrpcChannel channel)
        {
            var stream = new ExchangeStream(channel);
            await stream._call.RequestStream.WriteAsync(new WorkItemClientMessage { Subscribe = new SubscribeWorkItemsRequest { Subscriber = "stream-test" } });
            await stream._call.ResponseHeadersAsync;
            return stream;
        }

        public async Task AnswerAsync(params KeyedAnswer[] answers)
        {
            foreach (var a in answers) await _call.RequestStream.WriteAsync(new WorkItemClientMessage { Answer = a });
        }

        public Task<WorkItem> ItemAsync(string itemId, TimeSpan timeout) =>
            WaitAsync(() => { lock (_items) return _items.FirstOrDefault(i => i.ItemId == itemId); }, timeout, $"item {itemId}");

        /// <summary>The <paramref name="nth"/> result carrying this key.</summary>
        public Task<AnswerResult> ResultAsync(string key, TimeSpan timeout, int nth = 1) =>
            WaitAsync(() => { lock (_results) return _results.Where(r => r.IdempotencyKey == key).Skip(nth - 1).FirstOrDefault(); }, timeout, $"result {nth} for key '{key}'");

        private async Task<T> WaitAsync<T>(Func<T?> find, TimeSpan timeout, string what) where T : class
        {
            var until = DateTime.UtcNow + timeout;
            while (true)
            {
                if (find() is { } found) return found;
                if (_reading.IsCompleted)
                {
                    await _reading;
                    throw new InvalidOperationException($"The exchange stream ended before {what}.");
                }
                if (DateTime.UtcNow > until) throw new TimeoutException($"Not seen within {timeout}: {what}.");
                await Task.Delay(20);
            }
        }

        private async Task ReadAsync()
        {
            try
            {
                await foreach (var message in _call.ResponseStream.ReadAllAsync(_stop.Token))
                {
                    if (message.Item is { } item) lock (_items) _items.Add(item);
                    if (message.Result is { } result) lock (_results) _results.Add(result);
                }
            }
            catch (Exception ex) when (_stop.IsCancellationRequested && ex is OperationCanceledException or RpcException) { }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _reading;
            _call.Dispose();
        }
    }
}
