using Gateway.Contracts.Transfer.V1;
using Gateway.Node.Idempotency;
using Gateway.Node.Infrastructure;
using Gateway.Node.Application;
using Gateway.Node.Transfers;
using Gateway.Node.Transfers.Calls;
using Gateway.Storage;
using WorkItem = Gateway.Contracts.Transfer.V1.WorkItem;
using Grpc.Core;

namespace Gateway.Node.Grpc;

/// <summary>
/// The channel through which the node asks its province system for facts and decisions. Unanswered
/// items are streamed again on every new subscription, so they survive a province-system restart.
/// </summary>
public sealed class WorkItemGrpcService(
    IdempotentCalls calls,
    AnswerWorkItemHandler answerWorkItem,
    NodeDatabase db,
    WorkItemSignal workItems,
    OutboxSignal outboxSignal,
    ILogger<WorkItemGrpcService> logger) : WorkItemService.WorkItemServiceBase
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    public override async Task SubscribeWorkItems(SubscribeWorkItemsRequest request, IServerStreamWriter<WorkItem> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var sent = new HashSet<string>(StringComparer.Ordinal);
        logger.LogInformation("Work-item subscriber '{Subscriber}' connected", request.Subscriber);
        while (!ct.IsCancellationRequested)
        {
            var wake = workItems.Next; // taken before reading, so no notification slips between
            var fresh = await WorkItemFeed.ListPendingAsync(db.DataSource, sent, 200, ct);
            // Only items still pending when counted are sent: a cancelled one never reaches the province system.
            var counts = await WorkItemFeed.MarkDeliveredAsync(db.DataSource, fresh.Select(p => p.ItemId).ToList(), ct);
            foreach (var p in fresh.Where(p => counts.ContainsKey(p.ItemId)))
            {
                var item = WorkItem.Parser.ParseFrom(p.Payload);
                item.DeliveryCount = counts[p.ItemId];
                sent.Add(p.ItemId);
                await responseStream.WriteAsync(item, ct);
            }
            if (sent.Count > 10_000) sent.Clear(); // answered ones linger; a full resend to this subscriber is harmless
            try { await wake.WaitAsync(PollInterval, ct); }
            catch (TimeoutException) { }
            catch (OperationCanceledException) { break; }
        }
        logger.LogInformation("Work-item subscriber '{Subscriber}' left", request.Subscriber);
    }

    public override async Task<AnswerWorkItemResponse> AnswerWorkItem(AnswerWorkItemRequest request, ServerCallContext context)
    {
        if (request.InformationTable?.Table?.Person is { } person) RequestValidation.Normalize(person);
        var response = await calls.RunAsync(context, request, (conn, tx, ct) => answerWorkItem.HandleAsync(conn, tx, request, ct));
        outboxSignal.Notify();
        workItems.Notify();
        // Recorded and held, but not applied: the caller must hear that its second answer was refused.
        if (response is { AlreadyAnswered: true, Held: true })
            throw new RefusedException(HoldCodes.AnswerConflict,
                "The work item was already answered differently; this answer is recorded for operators but not applied, and the transfer is held.",
                new Dictionary<string, string> { ["item_id"] = request.ItemId });
        return response;
    }
}
