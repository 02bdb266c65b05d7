using Gateway.Contracts.Ops.V1;
using Gateway.Node.Idempotency;
using Gateway.Node.Infrastructure;
using Gateway.Node.Ops;
using Grpc.Core;

namespace Gateway.Node.Grpc;

/// <summary>The operators' calls. Thin: validate, then reads on a connection, actions under the idempotency key.</summary>
public sealed class OpsGrpcService(
    IdempotentCalls calls,
    ListExchangesHandler listExchanges,
    ListDeadLettersHandler listDeadLetters,
    CountConditionsHandler countConditions,
    GetExchangeStoryHandler story,
    ListAuditTrailHandler auditTrail,
    ResendOutboundHandler resendOutbound,
    ResendFailedHandler resendFailed,
    ReapplyDeadLetterHandler reapply,
    ReapplyDeadLettersHandler reapplyRange,
    MarkNeverRerunHandler neverRerun,
    RedeliverWorkItemHandler redeliver,
    OutboxSignal outboxSignal,
    WorkItemSignal workItemSignal,
    Sync.RecordChangeSignal recordChanges) : OpsService.OpsServiceBase
{
    public override Task<ListExchangesResponse> ListExchanges(ListExchangesRequest request, ServerCallContext context) =>
        listExchanges.HandleAsync(request, context.CancellationToken);

    public override Task<ListDeadLettersResponse> ListDeadLetters(ListDeadLettersRequest request, ServerCallContext context) =>
        listDeadLetters.HandleAsync(request, context.CancellationToken);

    public override Task<CountConditionsResponse> CountConditions(CountConditionsRequest request, ServerCallContext context) =>
        countConditions.HandleAsync(context.CancellationToken);

    public override Task<ExchangeStory> GetExchangeStory(GetExchangeStoryRequest request, ServerCallContext context) =>
        story.HandleAsync(request, context.CancellationToken);

    public override Task<ListAuditTrailResponse> ListAuditTrail(ListAuditTrailRequest request, ServerCallContext context) =>
        auditTrail.HandleAsync(request, context.CancellationToken);

    public override async Task<ActionResult> ResendOutbound(ResendOutboundRequest request, ServerCallContext context)
    {
        ResendOutboundHandler.Validate(request);
        var result = await calls.RunAsync(context, request, (conn, tx, ct) => resendOutbound.HandleAsync(conn, tx, request, ct));
        outboxSignal.Notify();
        return result;
    }

    public override async Task<BulkActionResult> ResendFailed(ResendFailedRequest request, ServerCallContext context)
    {
        ResendFailedHandler.Validate(request);
        var result = await calls.RunAsync(context, request, (conn, tx, ct) => resendFailed.HandleAsync(conn, tx, request, ct));
        outboxSignal.Notify();
        return result;
    }

    public override async Task<ActionResult> ReapplyDeadLetter(ReapplyDeadLetterRequest request, ServerCallContext context)
    {
        ReapplyDeadLetterHandler.Validate(request);
        var result = await calls.RunAsync(context, request, (conn, tx, ct) => reapply.HandleAsync(conn, tx, request, ct));
        Applied();
        return result;
    }

    public override async Task<BulkActionResult> ReapplyDeadLetters(ReapplyDeadLettersRequest request, ServerCallContext context)
    {
        ReapplyDeadLettersHandler.Validate(request);
        var result = await calls.RunAsync(context, request, (conn, tx, ct) => reapplyRange.HandleAsync(conn, tx, request, ct));
        Applied();
        return result;
    }

    public override Task<ActionResult> MarkNeverRerun(MarkNeverRerunRequest request, ServerCallContext context)
    {
        MarkNeverRerunHandler.Validate(request);
        return calls.RunAsync(context, request, (conn, tx, ct) => neverRerun.HandleAsync(conn, tx, request, ct));
    }

    public override async Task<ActionResult> RedeliverWorkItem(RedeliverWorkItemRequest request, ServerCallContext context)
    {
        RedeliverWorkItemHandler.Validate(request);
        var result = await calls.RunAsync(context, request, (conn, tx, ct) => redeliver.HandleAsync(conn, tx, request, ct));
        workItemSignal.Notify();
        return result;
    }

    /// <summary>As the inbox does after a commit: work-item streams and record watchers read what was applied.</summary>
    private void Applied()
    {
        outboxSignal.Notify();
        workItemSignal.Notify();
        recordChanges.Notify();
    }
}
