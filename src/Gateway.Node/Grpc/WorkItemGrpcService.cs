using Gateway.Contracts.Transfer.V1;
using Gateway.Node.Idempotency;
using Gateway.Node.Infrastructure;
using Gateway.Node.Application;
using Gateway.Node.Transfers;
using Gateway.Node.Transfers.Calls;
using Gateway.Storage;
using WorkItem = Gateway.Contracts.Transfer.V1.WorkItem;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Gateway.Node.Grpc;

/// <summary>
/// The channel through which the node asks its province system for facts and decisions. Unanswered
/// items are streamed again on every new subscription, so they survive a province-system restart, and
/// again on an open stream once <see cref="NodeOptions.WorkItemRedeliveryTimeout"/> passes without an answer.
/// </summary>
public sealed class WorkItemGrpcService(
    IdempotentCalls calls,
    AnswerWorkItemHandler answerWorkItem,
    NodeDatabase db,
    WorkItemSignal workItems,
    OutboxSignal outboxSignal,
    BusinessClock clock,
    IOptions<NodeOptions> options,
    ILogger<WorkItemGrpcService> logger) : WorkItemService.WorkItemServiceBase
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private const int BatchSize = 200;

    /// <summary>
    /// First every pending item once, oldest first (a subscriber that just connected may have lost what it had);
    /// then, on each commit signal or poll, whatever is due: new items, and items sent more than the redelivery
    /// timeout ago and still unanswered. The table records each delivery, so the stream holds no set of ids.
    /// Several open streams share the due items (each claim goes to one of them); each new one still starts
    /// with everything pending.
    /// </summary>
    public override async Task SubscribeWorkItems(SubscribeWorkItemsRequest request, IServerStreamWriter<WorkItem> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        // Below the poll interval every poll would resend everything still unanswered.
        var redeliverAfter = options.Value.WorkItemRedeliveryTimeout < PollInterval ? PollInterval : options.Value.WorkItemRedeliveryTimeout;
        logger.LogInformation("Work-item subscriber '{Subscriber}' connected", request.Subscriber);
        try
        {
            WorkItemFeed.Cursor? cursor = null;
            do
            {
                // The node's clock stamps and judges deliveries, as it stamps created_at and answered_at.
                var page = await WorkItemFeed.DeliverPendingPageAsync(db.DataSource, cursor, BatchSize, clock.UtcNow, ct);
                await WriteAsync(responseStream, page.Items, ct);
                cursor = page.Next;
            } while (cursor is not null);

            while (!ct.IsCancellationRequested)
            {
                var wake = workItems.Next; // taken before reading, so no notification slips between
                var now = clock.UtcNow;
                var due = await WorkItemFeed.DeliverDueAsync(db.DataSource, now - redeliverAfter, BatchSize, now, ct);
                await WriteAsync(responseStream, due, ct);
                if (due.Count == BatchSize) continue; // more may be due already
                try { await wake.WaitAsync(PollInterval, ct); }
                catch (TimeoutException) { }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        logger.LogInformation("Work-item subscriber '{Subscriber}' left", request.Subscriber);
    }

    // Each item was counted before it is written; one lost with a broken stream goes again when due.
    private static async Task WriteAsync(IServerStreamWriter<WorkItem> stream, IReadOnlyList<WorkItemFeed.Delivery> deliveries, CancellationToken ct)
    {
        foreach (var d in deliveries)
        {
            var item = WorkItem.Parser.ParseFrom(d.Payload);
            item.DeliveryCount = d.DeliveryCount;
            await stream.WriteAsync(item, ct);
        }
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
