using Gateway.Contracts.Transfer.V1;
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

    public override Task<AnswerWorkItemResponse> AnswerWorkItem(AnswerWorkItemRequest request, ServerCallContext context) =>
        Task.FromResult(store.Answer(request, context.RequestHeaders.GetValue(SimulatedProvinceSystem.IdempotencyHeader)));
}
