using Gateway.Contracts.Sync.V1;
using Gateway.Node.Idempotency;
using Gateway.Node.Infrastructure;
using Gateway.Node.Sync;
using Gateway.Node.Sync.Filings.Calls;
using Grpc.Core;

namespace Gateway.Node.Grpc;

/// <summary>The province system's filing calls. Thin: normalise, then idempotency and a transaction around one handler.</summary>
public sealed class FilingGrpcService(
    IdempotentCalls calls,
    CreateFilingHandler createFiling,
    ChangeFilingHandler changeFiling,
    SuspendFilingHandler suspendFiling,
    ResumeFilingHandler resumeFiling,
    TerminateFilingHandler terminateFiling,
    GetFilingHandler getFiling,
    ListFilingsHandler listFilings,
    GetPersonFilingsHandler getPersonFilings,
    OutboxSignal outboxSignal,
    RecordChangeSignal recordChanges) : FilingService.FilingServiceBase
{
    public override Task<FilingView> CreateFiling(CreateFilingRequest request, ServerCallContext context)
    {
        RequestValidation.Normalize(request.Filing?.Person);
        return Committed(calls.RunAsync(context, request, (conn, tx, ct) => createFiling.HandleAsync(conn, tx, request, ct)));
    }

    public override Task<FilingView> ChangeFiling(ChangeFilingRequest request, ServerCallContext context)
    {
        RequestValidation.Normalize(request.Filing?.Person);
        return Committed(calls.RunAsync(context, request, (conn, tx, ct) => changeFiling.HandleAsync(conn, tx, request, ct)));
    }

    public override Task<FilingView> SuspendFiling(SuspendFilingRequest request, ServerCallContext context) =>
        Committed(calls.RunAsync(context, request, (conn, tx, ct) => suspendFiling.HandleAsync(conn, tx, request, ct)));

    public override Task<FilingView> ResumeFiling(ResumeFilingRequest request, ServerCallContext context) =>
        Committed(calls.RunAsync(context, request, (conn, tx, ct) => resumeFiling.HandleAsync(conn, tx, request, ct)));

    public override Task<FilingView> TerminateFiling(TerminateFilingRequest request, ServerCallContext context) =>
        Committed(calls.RunAsync(context, request, (conn, tx, ct) => terminateFiling.HandleAsync(conn, tx, request, ct)));

    public override Task<FilingView> GetFiling(GetFilingRequest request, ServerCallContext context) =>
        getFiling.HandleAsync(request, context.CancellationToken);

    public override Task<ListFilingsResponse> ListFilings(ListFilingsRequest request, ServerCallContext context) =>
        listFilings.HandleAsync(request, context.CancellationToken);

    public override Task<GetPersonFilingsResponse> GetPersonFilings(GetPersonFilingsRequest request, ServerCallContext context) =>
        getPersonFilings.HandleAsync(request, context.CancellationToken);

    /// <summary>After commit: wake the relay for the envelopes and the watchers for the change-log entry.</summary>
    private async Task<FilingView> Committed(Task<FilingView> call)
    {
        var view = await call;
        outboxSignal.Notify();
        recordChanges.Notify();
        return view;
    }
}
