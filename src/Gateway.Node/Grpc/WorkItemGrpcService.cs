using Gateway.Contracts.Transfer.V1;
using Gateway.Node.Idempotency;
using Gateway.Node.Infrastructure;
using Gateway.Node.Application;
using Gateway.Node.Transfers;
using Gateway.Node.Transfers.Calls;
using Gateway.Node.Telemetry;
using Gateway.Storage;
using WorkItem = Gateway.Contracts.Transfer.V1.WorkItem;
using Grpc.Core;
using Microsoft.Extensions.Options;
using System.Threading.Channels;
using Google.Protobuf;

namespace Gateway.Node.Grpc;

/// <summary>
/// The channel through which the node asks its province system for facts and decisions. Unanswered
/// items are streamed again on every new subscription, so they survive a province-system restart, and
/// again on an open stream once <see cref="NodeOptions.WorkItemRedeliveryTimeout"/> passes without an answer.
/// </summary>
public sealed class WorkItemGrpcService(
    IdempotentCalls calls,
    AnswerWorkItemHandler answerWorkItem,
    AnswerBatch answerBatch,
    NodeDatabase db,
    WorkItemSignal workItems,
    OutboxSignal outboxSignal,
    BusinessClock clock,
    IOptions<NodeOptions> options,
    NodeIdentity node,
    StreamShutdown shutdown,
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
        using var call = shutdown.Link(context);
        var ct = call.Token;
        logger.LogInformation("Work-item subscriber '{Subscriber}' connected", request.Subscriber);
        try
        {
            // Headers now, so the client knows it is subscribed even before the first item exists.
            await context.WriteResponseHeadersAsync([]);
            await FeedAsync((item, token) => responseStream.WriteAsync(item, token), ct);
        }
        // Cancelled mid-read or mid-write, whatever the exception says (a write on an ending call is not an OCE).
        catch (Exception ex) when (ex is not RpcException && ct.IsCancellationRequested)
        {
            logger.LogDebug(ex, "Work-item stream of '{Subscriber}' ended with its call or the node's stop", request.Subscriber);
        }
        logger.LogInformation("Work-item subscriber '{Subscriber}' left", request.Subscriber);
        shutdown.ThrowIfStopping(context);
    }

    /// <summary>The delivery rules both streams share (see <see cref="SubscribeWorkItems"/>); runs until cancelled.</summary>
    private async Task FeedAsync(Func<WorkItem, CancellationToken, Task> write, CancellationToken ct)
    {
        // Below the poll interval every poll would resend everything still unanswered.
        var redeliverAfter = options.Value.WorkItemRedeliveryTimeout < PollInterval ? PollInterval : options.Value.WorkItemRedeliveryTimeout;
        WorkItemFeed.Cursor? cursor = null;
        do
        {
            // The node's clock stamps and judges deliveries, as it stamps created_at and answered_at.
            var page = await WorkItemFeed.DeliverPendingPageAsync(db.DataSource, cursor, BatchSize, clock.UtcNow, ct);
            await WriteAsync(write, page.Items, ct);
            cursor = page.Next;
        } while (cursor is not null);

        while (!ct.IsCancellationRequested)
        {
            var wake = workItems.Next; // taken before reading, so no notification slips between
            var now = clock.UtcNow;
            var due = await WorkItemFeed.DeliverDueAsync(db.DataSource, now - redeliverAfter, BatchSize, now, ct);
            await WriteAsync(write, due, ct);
            if (due.Count == BatchSize) continue; // more may be due already
            try { await wake.WaitAsync(PollInterval, ct); }
            catch (TimeoutException) { }
        }
    }

    // Each item was counted before it is written; one lost with a broken stream goes again when due.
    private async Task WriteAsync(Func<WorkItem, CancellationToken, Task> write, IReadOnlyList<WorkItemFeed.Delivery> deliveries, CancellationToken ct)
    {
        foreach (var d in deliveries)
        {
            var item = WorkItem.Parser.ParseFrom(d.Payload);
            item.DeliveryCount = d.DeliveryCount;
            // The push continues the trace of the step that created the item, linked to this stream's call.
            using var span = GatewayTelemetry.StartContinuation(GatewayTelemetry.SpanName("push", item.Kind.ToString()),
                System.Diagnostics.ActivityKind.Producer, node.Province, GatewayTelemetry.ParentFrom(d.TraceParent));
            span?.SetTag("gateway.work_item_id", d.ItemId);
            span?.SetTag("gateway.delivery_count", d.DeliveryCount);
            await write(item, ct);
            if (GatewayTelemetry.WorkItemsDelivered.Enabled)
                GatewayTelemetry.WorkItemsDelivered.Add(1, new("gateway.work_item_kind", item.Kind.ToString()),
                    new("gateway.delivery", d.DeliveryCount > 1 ? "repeat" : "first"), new(GatewayTelemetry.ProvinceTag, node.Province));
        }
    }

    public override async Task<AnswerWorkItemResponse> AnswerWorkItem(AnswerWorkItemRequest request, ServerCallContext context)
    {
        if (request.InformationTable?.Table?.Person is { } person) RequestValidation.Normalize(person);
        var response = await calls.RunAsync(context, request, (conn, tx, ct) => answerWorkItem.HandleAsync(conn, tx, request, ct));
        outboxSignal.Notify();
        workItems.Notify();
        RefuseIfConflict(request.ItemId, response);
        return response;
    }

    // Recorded and held, but not applied: the caller must hear that its second answer was refused.
    private static void RefuseIfConflict(string itemId, AnswerWorkItemResponse response)
    {
        if (response is { AlreadyAnswered: true, Held: true })
            throw new RefusedException(HoldCodes.AnswerConflict,
                "The work item was already answered differently; this answer is recorded for operators but not applied, and the transfer is held.",
                new Dictionary<string, string> { ["item_id"] = itemId });
    }

    /// <summary>
    /// Items and answers on one stream. After the client's <c>subscribe</c>, three loops run until the client half-closes
    /// (the call then ends once every result is written) or leaves: the feed (as <see cref="SubscribeWorkItems"/>), the
    /// reader, which checks each answer's bounds and queues it, and the applier, which takes what is queued (up to
    /// <see cref="AnswerBatch.MaxAnswers"/>, waiting <see cref="AnswerBatch.Linger"/> for more), commits it as one batch
    /// and then writes one result per answer. A full queue stops the reader, so a fast client is slowed by flow control.
    /// </summary>
    public override async Task ExchangeWorkItems(IAsyncStreamReader<WorkItemClientMessage> requestStream, IServerStreamWriter<WorkItemServerMessage> responseStream, ServerCallContext context)
    {
        using var call = shutdown.Link(context);
        var callToken = call.Token;
        try
        {
            if (!await requestStream.MoveNext(callToken))
                return;
            var first = requestStream.Current;
            CheckBounds(first);
            if (first.MessageCase != WorkItemClientMessage.MessageOneofCase.Subscribe)
                throw InvalidRequestException.Single("subscribe", "The first message on the stream subscribes; answers follow it.");
            var subscriber = first.Subscribe.Subscriber;
            // Headers now, so the client knows it is subscribed even before the first item exists.
            await context.WriteResponseHeadersAsync([]);
            logger.LogInformation("Work-item subscriber '{Subscriber}' connected (exchange stream)", subscriber);

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(callToken);
            using var writeGate = new SemaphoreSlim(1, 1);
            async Task Write(WorkItemServerMessage message, CancellationToken ct)
            {
                await writeGate.WaitAsync(ct);
                try { await responseStream.WriteAsync(message, ct); }
                finally { writeGate.Release(); }
            }

            var queue = Channel.CreateBounded<KeyedWorkItemAnswer>(new BoundedChannelOptions(AnswerBatch.MaxAnswers * 4) { SingleReader = true, SingleWriter = true });
            var feed = FeedAsync((item, ct) => Write(new WorkItemServerMessage { Item = item }, ct), stop.Token);
            var applier = ApplyAnswersAsync(queue.Reader, Write, stop.Token);
            var reading = ReadAnswersAsync(requestStream, queue.Writer, Write, stop.Token);
            try
            {
                var ended = await Task.WhenAny(reading, feed, applier);
                if (ended != reading)
                {
                    // The feed or the applier stopped first: the call ends with its error, and the client subscribes again.
                    await ended;
                    callToken.ThrowIfCancellationRequested();
                    throw new InvalidOperationException("The work-item exchange stopped before its client finished.");
                }
                await reading;
                queue.Writer.TryComplete();
                await applier; // every result written; the client's half-close then ends the call
            }
            finally
            {
                queue.Writer.TryComplete();
                await stop.CancelAsync();
                try { await Task.WhenAll(feed, applier, reading); }
                catch (Exception ex) when (stop.IsCancellationRequested) { logger.LogDebug(ex, "Work-item exchange loops ended with their stream"); }
            }
            logger.LogInformation("Work-item subscriber '{Subscriber}' left (exchange stream)", subscriber);
        }
        catch (Exception ex) when (ex is not RpcException && callToken.IsCancellationRequested)
        {
            logger.LogDebug(ex, "Work-item exchange stream ended with its call or the node's stop");
            shutdown.ThrowIfStopping(context);
        }
        catch (Exception ex) when (ex is not RpcException && !callToken.IsCancellationRequested)
        {
            // The error interceptor maps unary and server-streaming calls only; a duplex call maps its own.
            var rpc = GatewayErrors.ToRpc(ex);
            if (GatewayErrors.IsNodeFault(rpc)) logger.LogError(ex, "Work-item exchange stream failed");
            throw rpc;
        }
    }

    private static async Task ReadAnswersAsync(IAsyncStreamReader<WorkItemClientMessage> requestStream, ChannelWriter<KeyedWorkItemAnswer> queue,
        Func<WorkItemServerMessage, CancellationToken, Task> write, CancellationToken ct)
    {
        while (await requestStream.MoveNext(ct))
        {
            var message = requestStream.Current;
            if (message.MessageCase != WorkItemClientMessage.MessageOneofCase.Answer)
                throw InvalidRequestException.Single("answer", "After the first message, a stream carries only answers.");
            var keyed = message.Answer;
            var request = keyed.Answer ?? new AnswerWorkItemRequest();
            var violations = RequestBounds.Check(message);
            if (violations.Count > 0)
            {
                // Refused before the database, as the unary call's bounds interceptor refuses it; the stream goes on.
                await write(Result(keyed, request, null, GatewayErrors.ToStatus(new InvalidRequestException(violations))), ct);
                continue;
            }
            if (request.InformationTable?.Table?.Person is { } person) RequestValidation.Normalize(person);
            await queue.WriteAsync(new KeyedWorkItemAnswer(keyed.IdempotencyKey, request), ct);
        }
    }

    private async Task ApplyAnswersAsync(ChannelReader<KeyedWorkItemAnswer> queue, Func<WorkItemServerMessage, CancellationToken, Task> write, CancellationToken ct)
    {
        var batch = new List<KeyedWorkItemAnswer>(AnswerBatch.MaxAnswers);
        while (await queue.WaitToReadAsync(ct))
        {
            batch.Clear();
            while (batch.Count < AnswerBatch.MaxAnswers && queue.TryRead(out var answer)) batch.Add(answer);
            if (batch.Count < AnswerBatch.MaxAnswers)
            {
                using var linger = CancellationTokenSource.CreateLinkedTokenSource(ct);
                linger.CancelAfter(AnswerBatch.Linger);
                try
                {
                    while (batch.Count < AnswerBatch.MaxAnswers && await queue.WaitToReadAsync(linger.Token))
                        while (batch.Count < AnswerBatch.MaxAnswers && queue.TryRead(out var answer)) batch.Add(answer);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
            }

            var outcomes = await answerBatch.ApplyAsync(batch, ct);
            for (var i = 0; i < batch.Count; i++)
            {
                var (response, error) = outcomes[i];
                if (response is not null)
                {
                    try { RefuseIfConflict(batch[i].Request.ItemId, response); }
                    catch (RefusedException conflict) { (response, error) = (null, conflict); }
                }
                var status = response is null ? GatewayErrors.ToStatus(error!) : null;
                // Only a failure of the node's own is logged as an error; the answer may be sent again.
                if (status is not null && GatewayErrors.IsNodeFault(status))
                    logger.LogError(error, "Answer to work item {ItemId} failed", batch[i].Request.ItemId);
                await write(Result(new KeyedAnswer { IdempotencyKey = batch[i].IdempotencyKey }, batch[i].Request, response, status), ct);
            }
        }
    }

    private static WorkItemServerMessage Result(KeyedAnswer keyed, AnswerWorkItemRequest request, AnswerWorkItemResponse? response, Google.Rpc.Status? error)
    {
        var result = new AnswerResult { ItemId = request.ItemId, IdempotencyKey = keyed.IdempotencyKey };
        if (response is not null) result.Response = response;
        else result.Error = error;
        return new WorkItemServerMessage { Result = result };
    }

    private static void CheckBounds(IMessage message)
    {
        var violations = RequestBounds.Check(message);
        if (violations.Count > 0) throw new InvalidRequestException(violations);
    }
}
