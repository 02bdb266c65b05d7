using Gateway.Contracts.Sync.V1;
using Gateway.Node.Idempotency;
using Gateway.Node.Infrastructure;
using Gateway.Node.Sync.Enrolment.Calls;
using Grpc.Core;

namespace Gateway.Node.Grpc;

/// <summary>Enrolment status sync calls of the province system. Thin: normalise, then one handler per call.</summary>
public sealed class EnrolmentGrpcService(
    IdempotentCalls calls,
    PublishEnrolmentHandler publish,
    GetEnrolmentSummaryHandler summary,
    CheckDuplicateEnrolmentHandler check,
    OutboxSignal outboxSignal,
    WorkItemSignal workItems) : EnrolmentService.EnrolmentServiceBase
{
    public override async Task<PublishEnrolmentResponse> PublishEnrolment(PublishEnrolmentRequest request, ServerCallContext context)
    {
        EnrolmentRequestValidation.Normalize(request.Record?.Person);
        var result = await calls.RunAsync(context, request, (conn, tx, ct) => publish.HandleAsync(conn, tx, request, ct));
        outboxSignal.Notify();
        workItems.Notify(); // this node may be the index and have found a duplicate of its own record
        return result;
    }

    public override Task<EnrolmentSummary> GetEnrolmentSummary(GetEnrolmentSummaryRequest request, ServerCallContext context)
    {
        EnrolmentRequestValidation.Normalize(request.Person);
        return summary.HandleAsync(request, context.Deadline, context.CancellationToken);
    }

    public override Task<CheckDuplicateEnrolmentResponse> CheckDuplicateEnrolment(CheckDuplicateEnrolmentRequest request, ServerCallContext context)
    {
        EnrolmentRequestValidation.Normalize(request.Person);
        return check.HandleAsync(request, context.Deadline, context.CancellationToken);
    }
}
