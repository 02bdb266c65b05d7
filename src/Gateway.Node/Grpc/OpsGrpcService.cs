using System.Globalization;
using Gateway.Contracts.Ops.V1;
using Gateway.Node.Idempotency;
using Gateway.Node.Infrastructure;
using Gateway.Node.Ops;
using Google.Protobuf;
using Grpc.Core;
using Npgsql;

namespace Gateway.Node.Grpc;

/// <summary>
/// The operators' calls. Thin: validate, then reads on a connection, actions under the idempotency key. A refused
/// action is written to the audit trail after its transaction rolled back.
/// </summary>
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
    ReleaseHoldHandler releaseHold,
    CancelExchangeHandler cancelExchange,
    StartResendJobHandler startJob,
    ResendJobStateHandler jobState,
    ResendJobReadHandler jobs,
    RefusedActionAudit refused,
    OutboxSignal outboxSignal,
    WorkItemSignal workItemSignal,
    Sync.RecordChangeSignal recordChanges,
    ListMessageLogHandler messageLog,
    ListMessageLogHeadsHandler messageLogHeads,
    ExportExchangeLogHandler exportLog) : OpsService.OpsServiceBase
{
    public override Task<ExportExchangeLogResponse> ExportExchangeLog(ExportExchangeLogRequest request, ServerCallContext context) =>
        exportLog.HandleAsync(request, context.CancellationToken);

    public override Task<ListMessageLogResponse> ListMessageLog(ListMessageLogRequest request, ServerCallContext context) =>
        messageLog.HandleAsync(request, context.CancellationToken);

    public override Task<ListMessageLogHeadsResponse> ListMessageLogHeads(ListMessageLogHeadsRequest request, ServerCallContext context) =>
        messageLogHeads.HandleAsync(request, context.CancellationToken);

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

    public override Task<ResendJob> GetResendJob(GetResendJobRequest request, ServerCallContext context) =>
        jobs.GetAsync(request, context.CancellationToken);

    public override Task<ListResendJobsResponse> ListResendJobs(ListResendJobsRequest request, ServerCallContext context) =>
        jobs.ListAsync(request, context.CancellationToken);

    public override async Task<ActionResult> ResendOutbound(ResendOutboundRequest request, ServerCallContext context)
    {
        ResendOutboundHandler.Validate(request);
        var result = await ActAsync(context, request, "outbox.resend", request.MessageId, request.Operator, request.Reason,
            (conn, tx, ct) => resendOutbound.HandleAsync(conn, tx, request, ct));
        outboxSignal.Notify();
        return result;
    }

    public override async Task<BulkActionResult> ResendFailed(ResendFailedRequest request, ServerCallContext context)
    {
        ResendFailedHandler.Validate(request);
        var result = await ActAsync(context, request, "outbox.resend_failed", request.CounterpartProvince, request.Operator, request.Reason,
            (conn, tx, ct) => resendFailed.HandleAsync(conn, tx, request, ct));
        outboxSignal.Notify();
        return result;
    }

    public override async Task<ActionResult> ReapplyDeadLetter(ReapplyDeadLetterRequest request, ServerCallContext context)
    {
        ReapplyDeadLetterHandler.Validate(request);
        var result = await ActAsync(context, request, "dead_letter.reapply", Id(request.DeadLetterId), request.Operator, request.Reason,
            (conn, tx, ct) => reapply.HandleAsync(conn, tx, request, ct));
        Applied();
        return result;
    }

    public override async Task<BulkActionResult> ReapplyDeadLetters(ReapplyDeadLettersRequest request, ServerCallContext context)
    {
        ReapplyDeadLettersHandler.Validate(request);
        var result = await ActAsync(context, request, "dead_letter.reapply_range", null, request.Operator, request.Reason,
            (conn, tx, ct) => reapplyRange.HandleAsync(conn, tx, request, ct));
        Applied();
        return result;
    }

    public override Task<ActionResult> MarkNeverRerun(MarkNeverRerunRequest request, ServerCallContext context)
    {
        MarkNeverRerunHandler.Validate(request);
        return ActAsync(context, request, "dead_letter.never_rerun", Id(request.DeadLetterId), request.Operator, request.Reason,
            (conn, tx, ct) => neverRerun.HandleAsync(conn, tx, request, ct));
    }

    public override async Task<ActionResult> RedeliverWorkItem(RedeliverWorkItemRequest request, ServerCallContext context)
    {
        RedeliverWorkItemHandler.Validate(request);
        var result = await ActAsync(context, request, "work_item.redeliver", request.ItemId, request.Operator, request.Reason,
            (conn, tx, ct) => redeliver.HandleAsync(conn, tx, request, ct));
        workItemSignal.Notify();
        return result;
    }

    public override async Task<ActionResult> ReleaseHold(ReleaseHoldRequest request, ServerCallContext context)
    {
        ReleaseHoldHandler.Validate(request);
        var result = await ActAsync(context, request, "transfer.release_hold", request.TransferId, request.Operator, request.Reason,
            (conn, tx, ct) => releaseHold.HandleAsync(conn, tx, request, ct));
        workItemSignal.Notify();
        return result;
    }

    public override async Task<ActionResult> CancelExchange(CancelExchangeRequest request, ServerCallContext context)
    {
        CancelExchangeHandler.Validate(request);
        var result = await ActAsync(context, request, "transfer.cancel", request.TransferId, request.Operator, request.Reason,
            (conn, tx, ct) => cancelExchange.HandleAsync(conn, tx, request, ct));
        Applied();
        return result;
    }

    public override Task<ResendJob> StartResendJob(StartResendJobRequest request, ServerCallContext context)
    {
        StartResendJobHandler.Validate(request);
        return ActAsync(context, request, "outbox.resend_job.start", request.CounterpartProvince, request.Operator, request.Reason,
            (conn, tx, ct) => startJob.HandleAsync(conn, tx, request, ct));
    }

    public override Task<ResendJob> StopResendJob(ResendJobActionRequest request, ServerCallContext context)
    {
        ResendJobStateHandler.Validate(request);
        return ActAsync(context, request, "outbox.resend_job.stop", Id(request.JobId), request.Operator, request.Reason,
            (conn, tx, ct) => jobState.HandleAsync(conn, tx, request, stop: true, ct));
    }

    public override Task<ResendJob> ResumeResendJob(ResendJobActionRequest request, ServerCallContext context)
    {
        ResendJobStateHandler.Validate(request);
        return ActAsync(context, request, "outbox.resend_job.resume", Id(request.JobId), request.Operator, request.Reason,
            (conn, tx, ct) => jobState.HandleAsync(conn, tx, request, stop: false, ct));
    }

    private async Task<TResponse> ActAsync<TRequest, TResponse>(ServerCallContext context, TRequest request, string action, string? subject,
        string @operator, string reason, Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<TResponse>> effect)
        where TRequest : IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>, new()
    {
        try
        {
            return await calls.RunAsync(context, request, effect);
        }
        catch (Exception ex) when (RefusedActionAudit.Outcome(ex) is { } outcome)
        {
            await refused.RecordAsync(@operator, action, subject, reason, outcome, ex.Message, context.CancellationToken);
            throw;
        }
    }

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>As the inbox does after a commit: work-item streams and record watchers read what was applied.</summary>
    private void Applied()
    {
        outboxSignal.Notify();
        workItemSignal.Notify();
        recordChanges.Notify();
    }
}
