using Gateway.Contracts.Transfer.V1;
using Gateway.Node.Idempotency;
using Gateway.Node.Infrastructure;
using Gateway.Node.Transfers;
using Gateway.Storage;
using Grpc.Core;

namespace Gateway.Node.Grpc;

/// <summary>The province system's calls. Thin: idempotency and a transaction around the workflow, nothing else.</summary>
public sealed class TransferGrpcService(
    IdempotentCalls calls,
    TransferWorkflow workflow,
    TransferViews views,
    NodeDatabase db,
    OutboxSignal outboxSignal) : TransferService.TransferServiceBase
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 500;

    public override Task<Certificate> IssueCertificate(IssueCertificateRequest request, ServerCallContext context) =>
        calls.RunAsync(context, request, (conn, tx, ct) => workflow.IssueCertificateAsync(conn, tx, request, ct));

    public override async Task<Transfer> SubmitApplication(SubmitApplicationRequest request, ServerCallContext context)
    {
        var result = await calls.RunAsync(context, request, (conn, tx, ct) => workflow.SubmitApplicationAsync(conn, tx, request, ct));
        outboxSignal.Notify();
        return result;
    }

    public override async Task<Transfer> WithdrawTransfer(WithdrawTransferRequest request, ServerCallContext context)
    {
        var result = await calls.RunAsync(context, request, (conn, tx, ct) => workflow.WithdrawAsync(conn, tx, request, ct));
        outboxSignal.Notify();
        return result;
    }

    public override Task<Transfer> GetTransfer(GetTransferRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.TransferId))
            throw InvalidRequestException.Single("transfer_id", "Name the transfer.");
        return db.WithConnectionAsync(async (conn, ct) =>
        {
            var record = await TransferStore.FindAsync(conn, null, request.TransferId, forUpdate: false, ct)
                         ?? throw new NotFoundException($"No transfer '{request.TransferId}'.");
            return await views.ViewAsync(conn, null, record, ct);
        }, context.CancellationToken);
    }

    public override Task<ListTransfersResponse> ListTransfers(ListTransfersRequest request, ServerCallContext context)
    {
        if (request.PageSize is < 0 or > MaxPageSize)
            throw InvalidRequestException.Single("page_size", $"Between 1 and {MaxPageSize} (0 means {DefaultPageSize}).");
        var size = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        var state = request.State == TransferState.Unspecified ? null : TransferViews.FromProto(request.State)?.ToString();
        return db.WithConnectionAsync(async (conn, ct) =>
        {
            var response = new ListTransfersResponse();
            var after = string.IsNullOrEmpty(request.PageToken) ? null : request.PageToken;
            // Overdue is computed, not stored: scan pages until this one is full or the table ends.
            while (response.Transfers.Count < size)
            {
                var page = await TransferStore.ListAsync(conn, state, after, size, ct);
                var used = 0;
                foreach (var record in page)
                {
                    used++;
                    after = record.TransferId;
                    var view = views.View(record);
                    if (request.OverdueOnly && !view.Overdue) continue;
                    response.Transfers.Add(view);
                    if (response.Transfers.Count == size) break;
                }
                // The table ends here only if this short page was read to its last row.
                if (page.Count < size && used == page.Count) { after = null; break; }
            }
            response.NextPageToken = after ?? "";
            return response;
        }, context.CancellationToken);
    }
}
