using Gateway.Contracts.Transfer.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Hosting;

namespace Gateway.ProvinceSimulator.Tests.FakeNode;

internal sealed class FakeWorkItemService(FakeWorkItemStore store, IHostApplicationLifetime lifetime) : WorkItemService.WorkItemServiceBase
{
    public override async Task SubscribeWorkItems(SubscribeWorkItemsRequest request, IServerStreamWriter<WorkItem> responseStream, ServerCallContext context)
    {
        // Headers first, so the subscriber knows it is connected before any item exists.
        await context.WriteResponseHeadersAsync([]);
        var items = store.Subscribe(out var unsubscribe);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        try
        {
            await foreach (var item in items.ReadAllAsync(stop.Token))
                await responseStream.WriteAsync(item, stop.Token);
        }
        catch (OperationCanceledException) { }
        finally { unsubscribe(); }
    }

    public override Task<AnswerWorkItemResponse> AnswerWorkItem(AnswerWorkItemRequest request, ServerCallContext context)
    {
        store.CountUnaryAnswer();
        return Task.FromResult(store.Answer(request, context.RequestHeaders.GetValue(SimulatedProvinceSystem.IdempotencyHeader)));
    }

    /// <summary>Items as SubscribeWorkItems streams them; each answer is answered as the unary call would be, once the store lets it.</summary>
    public override async Task ExchangeWorkItems(IAsyncStreamReader<WorkItemClientMessage> requestStream, IServerStreamWriter<WorkItemServerMessage> responseStream, ServerCallContext context)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        if (!await requestStream.MoveNext(stop.Token) || requestStream.Current.MessageCase != WorkItemClientMessage.MessageOneofCase.Subscribe)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "subscribe first"));
        await context.WriteResponseHeadersAsync([]);
        using var gate = new SemaphoreSlim(1, 1);
        async Task Write(WorkItemServerMessage message)
        {
            await gate.WaitAsync(stop.Token);
            try { await responseStream.WriteAsync(message, stop.Token); }
            finally { gate.Release(); }
        }

        var items = store.Subscribe(out var unsubscribe);
        var answering = new List<Task>();
        try
        {
            var feed = Task.Run(async () =>
            {
                await foreach (var item in items.ReadAllAsync(stop.Token)) await Write(new WorkItemServerMessage { Item = item });
            });
            while (await requestStream.MoveNext(stop.Token))
            {
                var keyed = requestStream.Current.Answer;
                answering.Add(Task.Run(async () =>
                {
                    using var held = await store.EnterStreamAnswerAsync(stop.Token);
                    var result = new AnswerResult { ItemId = keyed.Answer.ItemId, IdempotencyKey = keyed.IdempotencyKey };
                    try { result.Response = store.Answer(keyed.Answer, keyed.IdempotencyKey); }
                    catch (RpcException ex) { result.Error = new Google.Rpc.Status { Code = (int)ex.StatusCode, Message = ex.Status.Detail }; }
                    await Write(new WorkItemServerMessage { Result = result });
                }));
            }
            await Task.WhenAll(answering);
            await stop.CancelAsync();
            try { await feed; } catch (OperationCanceledException) { }
        }
        catch (OperationCanceledException) { }
        finally { unsubscribe(); }
    }
}
