using Gateway.Contracts.Sync.V1;
using Gateway.Node.Idempotency;
using Gateway.Node.Infrastructure;
using Gateway.Node.Sync.Enrolment.Calls;
using Grpc.Core;

namespace Gateway.Node.Grpc;

/// <summary>Enrolment status sync calls of the province system. Thin: normalise, then one handler per call.</summary>
public sealed class EnrolmentGrpcService(
    IdempotentCalls calls,
    BatchedCalls batches,
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

    // An entry's record is the unary call's record: same method name, so a key replays across both.
    private static readonly string PublishEnrolmentMethod = $"/{EnrolmentService.Descriptor.FullName}/{nameof(PublishEnrolment)}";

    public override async Task<PublishEnrolmentsResponse> PublishEnrolments(PublishEnrolmentsRequest request, ServerCallContext context)
    {
        var entries = request.Entries.Select(e => (e.IdempotencyKey, e.Request ?? new PublishEnrolmentRequest())).ToList();
        foreach (var (_, entry) in entries) EnrolmentRequestValidation.Normalize(entry.Record?.Person);
        var results = await batches.RunAsync(PublishEnrolmentMethod, entries,
            (conn, tx, entry, ct) => publish.HandleAsync(conn, tx, entry, ct), context.CancellationToken);
        outboxSignal.Notify();
        workItems.Notify();
        var response = new PublishEnrolmentsResponse();
        response.Results.AddRange(results.Select(r => r.Response is { } published
            ? new PublishEnrolmentsResponse.Types.Result { Response = published }
            : new PublishEnrolmentsResponse.Types.Result { Error = r.Error }));
        return response;
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
