using Gateway.Contracts.Transfer.V1;
using Gateway.Node.Application;
using Gateway.Node.Idempotency;
using Gateway.Node.Infrastructure;
using Gateway.Node.Transfers;
using Gateway.Node.Transfers.Calls;
using Gateway.Storage;
using Grpc.Core;

namespace Gateway.Node.Grpc;

/// <summary>The province system's calls. Thin: normalise, then idempotency and a transaction around one handler.</summary>
public sealed class TransferGrpcService(
    IdempotentCalls calls,
    BatchedCalls batches,
    IssueCertificateHandler issueCertificate,
    SubmitApplicationHandler submitApplication,
    WithdrawTransferHandler withdrawTransfer,
    TransferViews views,
    NodeDatabase db,
    OutboxSignal outboxSignal) : TransferService.TransferServiceBase
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 500;
    /// <summary>Rows one ListTransfers call reads at most while filtering computed conditions (overdue); the token resumes.</summary>
    private const int MaxRowsScannedPerCall = 2_000;

    public override Task<Certificate> IssueCertificate(IssueCertificateRequest request, ServerCallContext context)
    {
        RequestValidation.Normalize(request.Certificate?.Person);
        return calls.RunAsync(context, request, (conn, tx, ct) => issueCertificate.HandleAsync(conn, tx, request, ct));
    }

    public override async Task<Transfer> SubmitApplication(SubmitApplicationRequest request, ServerCallContext context)
    {
        RequestValidation.Normalize(request.Certificate?.Person);
        RequestValidation.Normalize(request.Application?.Person);
        var result = await calls.RunAsync(context, request, (conn, tx, ct) => submitApplication.HandleAsync(conn, tx, request, ct));
        outboxSignal.Notify();
        return result;
    }

    // A batch entry's record is the unary call's record: same method name, so a key replays across both.
    private static readonly string IssueCertificateMethod = $"/{TransferService.Descriptor.FullName}/{nameof(IssueCertificate)}";
    private static readonly string SubmitApplicationMethod = $"/{TransferService.Descriptor.FullName}/{nameof(SubmitApplication)}";

    public override async Task<IssueCertificatesResponse> IssueCertificates(IssueCertificatesRequest request, ServerCallContext context)
    {
        var entries = request.Entries.Select(e => (e.IdempotencyKey, e.Request ?? new IssueCertificateRequest())).ToList();
        foreach (var (_, entry) in entries) RequestValidation.Normalize(entry.Certificate?.Person);
        var results = await batches.RunAsync(IssueCertificateMethod, entries,
            (conn, tx, entry, ct) => issueCertificate.HandleAsync(conn, tx, entry, ct), context.CancellationToken);
        var response = new IssueCertificatesResponse();
        response.Results.AddRange(results.Select(r => r.Response is { } certificate
            ? new IssueCertificatesResponse.Types.Result { Certificate = certificate }
            : new IssueCertificatesResponse.Types.Result { Error = r.Error }));
        return response;
    }

    public override async Task<SubmitApplicationsResponse> SubmitApplications(SubmitApplicationsRequest request, ServerCallContext context)
    {
        var entries = request.Entries.Select(e => (e.IdempotencyKey, e.Request ?? new SubmitApplicationRequest())).ToList();
        foreach (var (_, entry) in entries)
        {
            RequestValidation.Normalize(entry.Certificate?.Person);
            RequestValidation.Normalize(entry.Application?.Person);
        }
        var results = await batches.RunAsync(SubmitApplicationMethod, entries,
            (conn, tx, entry, ct) => submitApplication.HandleAsync(conn, tx, entry, ct), context.CancellationToken);
        outboxSignal.Notify();
        var response = new SubmitApplicationsResponse();
        response.Results.AddRange(results.Select(r => r.Response is { } transfer
            ? new SubmitApplicationsResponse.Types.Result { Transfer = transfer }
            : new SubmitApplicationsResponse.Types.Result { Error = r.Error }));
        return response;
    }

    public override async Task<Transfer> WithdrawTransfer(WithdrawTransferRequest request, ServerCallContext context)
    {
        var result = await calls.RunAsync(context, request, (conn, tx, ct) => withdrawTransfer.HandleAsync(conn, tx, request, ct));
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
                         ?? throw new NotFoundException("No such transfer at this node.");
            return await views.ViewAsync(conn, null, record, ct);
        }, context.CancellationToken);
    }

    public override Task<ListTransfersResponse> ListTransfers(ListTransfersRequest request, ServerCallContext context)
    {
        if (request.PageSize is < 0 or > MaxPageSize)
            throw InvalidRequestException.Single("page_size", $"Between 1 and {MaxPageSize} (0 means {DefaultPageSize}).");
        if (!System.Enum.IsDefined(request.State))
            throw InvalidRequestException.Single("state", "Not a TransferState this API defines.");
        var size = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        var state = request.State == TransferState.Unspecified ? null : TransferViews.FromProto(request.State)?.ToString();
        return db.WithConnectionAsync(async (conn, ct) =>
        {
            var response = new ListTransfersResponse();
            var after = string.IsNullOrEmpty(request.PageToken) ? null : request.PageToken;
            var scanned = 0;
            // Overdue is computed, not stored: read pages until this one is full, the table ends, or the scan bound is reached.
            while (response.Transfers.Count < size && scanned < MaxRowsScannedPerCall)
            {
                var page = await TransferStore.ListAsync(conn, state, after, Math.Min(size, MaxRowsScannedPerCall - scanned), ct);
                var used = 0;
                foreach (var record in page)
                {
                    used++;
                    scanned++;
                    after = record.TransferId;
                    var view = views.View(record);
                    if (request.OverdueOnly && !view.Overdue) continue;
                    response.Transfers.Add(view);
                    if (response.Transfers.Count == size) break;
                }
                // The table ends here only if this short page was read to its last row.
                if (page.Count == 0 || (page.Count < size && used == page.Count && scanned < MaxRowsScannedPerCall)) { after = null; break; }
            }
            response.NextPageToken = after ?? "";
            return response;
        }, context.CancellationToken);
    }
}
