using Gateway.Contracts.Transfer.V1;
using Gateway.Node.Application;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;
using WorkItem = Gateway.Contracts.Transfer.V1.WorkItem;

namespace Gateway.Node.Sync.Enrolment.Calls;

/// <summary>
/// The province system acknowledges a DUPLICATE_ENROLMENT work item: it has taken the finding up. Recorded on the item
/// and on the finding; a repeated acknowledgement is <c>already_answered</c>.
/// </summary>
public sealed class AcknowledgeFindingHandler(EnrolmentSync sync)
{
    public async Task<AnswerWorkItemResponse> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, AnswerWorkItemRequest request, WorkItem item,
        CancellationToken ct)
    {
        var now = sync.Clock.UtcNow;
        var previous = await WorkItemStore.MarkAnsweredAsync(conn, tx, request.ItemId, request.ToByteArray(), now, ct);
        switch (previous)
        {
            case WorkItemStatus.Answered:
                return new AnswerWorkItemResponse { ItemId = request.ItemId, AlreadyAnswered = true };
            case WorkItemStatus.Cancelled:
                throw new RefusedException("WORK_ITEM_CANCELLED", "The work item was cancelled; do not apply it.");
        }
        if (item.DuplicateEnrolment is { } finding)
            await EnrolmentStore.AcknowledgeFindingAsync(conn, tx, finding.FindingId, now, ct);
        return new AnswerWorkItemResponse { ItemId = request.ItemId };
    }
}
