using Gateway.Contracts.Transfer.V1;
using Gateway.Node.Application;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;
using WorkItem = Gateway.Contracts.Transfer.V1.WorkItem;

namespace Gateway.Node.Transfers.Calls;

/// <summary>
/// The province system answers a work item. The answer is recorded on the item first; then the handler for the
/// item's kind moves the transfer on. A repeated identical answer does nothing again; a different one is a conflict,
/// recorded and held, because the province system has acted on the first.
/// </summary>
public sealed class AnswerWorkItemHandler(
    TransferSteps steps,
    OriginEnrolmentAnswerHandler originEnrolment,
    InformationTableAnswerHandler informationTable,
    CreditBalanceAnswerHandler creditBalance,
    Sync.Enrolment.Calls.AcknowledgeFindingHandler duplicateEnrolment)
{
    public async Task<AnswerWorkItemResponse> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, AnswerWorkItemRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.ItemId))
            throw InvalidRequestException.Single("item_id", "Name the work item being answered.");
        var state = await WorkItemStore.GetAsync(conn, tx, request.ItemId, ct) ?? throw new NotFoundException("No such work item.");
        var item = WorkItem.Parser.ParseFrom(state.Item.Payload);
        // Continues the trace that created the item (the transfer's), linked to the province system's call; current
        // for the rest of this method, so what the answer sends and creates carries it on.
        using var span = Telemetry.GatewayTelemetry.StartContinuation(Telemetry.GatewayTelemetry.SpanName("answer", item.Kind.ToString()),
            System.Diagnostics.ActivityKind.Consumer, steps.Node.Province, Telemetry.GatewayTelemetry.ParentFrom(state.Item.TraceParent));
        span?.SetTag("gateway.work_item_id", request.ItemId);
        var expected = ExpectedAnswer(item.Kind);
        if (request.AnswerCase != expected)
            throw InvalidRequestException.Single(Field(expected), $"A {item.Kind} item is answered with {Field(expected)}.");
        // No transfer behind it: the province system only says it took the finding up.
        if (item.Kind == WorkItemKind.DuplicateEnrolment)
            return await duplicateEnrolment.HandleAsync(conn, tx, request, item, ct);

        // Lock order everywhere: transfer row, then work-item rows. A withdrawal holds the same
        // transfer lock, so an answer and a withdrawal never interleave.
        var record = await steps.LoadForCallAsync(conn, tx, item.TransferId, ct);
        var answer = request.ToByteArray();
        var previous = await WorkItemStore.MarkAnsweredAsync(conn, tx, request.ItemId, answer, steps.Clock.UtcNow, ct);
        switch (previous)
        {
            case WorkItemStatus.Cancelled:
                throw new RefusedException("WORK_ITEM_CANCELLED", "The work item was cancelled (the transfer was withdrawn); do not apply it.");
            case WorkItemStatus.Answered:
                return await RepeatedAsync(conn, tx, record, request, answer, ct);
        }

        var transfer = record.ToDomain();
        var today = steps.BusinessDay(transfer);
        var response = new AnswerWorkItemResponse { ItemId = request.ItemId };
        switch (item.Kind)
        {
            case WorkItemKind.CheckOriginEnrolment:
                await originEnrolment.HandleAsync(conn, tx, record, transfer, request.OriginEnrolment, today, ct);
                break;
            case WorkItemKind.BuildInformationTable:
                await informationTable.HandleAsync(conn, tx, record, transfer, request.InformationTable, today, response, ct);
                break;
            case WorkItemKind.CreditBalance:
                await creditBalance.HandleAsync(conn, tx, record, transfer, request.CreditBalance, today, response, ct);
                break;
        }
        return response;
    }

    private async Task<AnswerWorkItemResponse> RepeatedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TransferRecord record,
        AnswerWorkItemRequest request, byte[] answer, CancellationToken ct)
    {
        var first = (await WorkItemStore.GetAsync(conn, tx, request.ItemId, ct))!.Answer;
        if (first is not null && first.AsSpan().SequenceEqual(answer))
            return new AnswerWorkItemResponse { ItemId = request.ItemId, AlreadyAnswered = true };

        // The books may now hold both answers: keep the second and hold the transfer so operators reconcile.
        await WorkItemAnswerConflicts.AddAsync(conn, tx, request.ItemId, answer, steps.Clock.UtcNow, ct);
        var transfer = record.ToDomain();
        await steps.HoldAsync(conn, tx, record, transfer, HoldCodes.AnswerConflict,
            $"work item {request.ItemId} was answered again with a different answer", steps.BusinessDay(transfer), ct);
        return new AnswerWorkItemResponse { ItemId = request.ItemId, AlreadyAnswered = true, Held = true, HoldReason = record.HoldReason };
    }

    private static AnswerWorkItemRequest.AnswerOneofCase ExpectedAnswer(WorkItemKind kind) => kind switch
    {
        WorkItemKind.CheckOriginEnrolment => AnswerWorkItemRequest.AnswerOneofCase.OriginEnrolment,
        WorkItemKind.BuildInformationTable => AnswerWorkItemRequest.AnswerOneofCase.InformationTable,
        WorkItemKind.CreditBalance => AnswerWorkItemRequest.AnswerOneofCase.CreditBalance,
        _ => AnswerWorkItemRequest.AnswerOneofCase.Acknowledgement,
    };

    private static string Field(AnswerWorkItemRequest.AnswerOneofCase answer) => answer switch
    {
        AnswerWorkItemRequest.AnswerOneofCase.OriginEnrolment => "origin_enrolment",
        AnswerWorkItemRequest.AnswerOneofCase.InformationTable => "information_table",
        AnswerWorkItemRequest.AnswerOneofCase.CreditBalance => "credit_balance",
        _ => "acknowledgement",
    };
}
