using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Documents;
using Npgsql;

namespace Gateway.Node.Sync.Filings.Calls;

/// <summary>Owner: terminates a filing (终止: final) at the next version and tells the province of care.</summary>
public sealed class TerminateFilingHandler(FilingSteps steps)
{
    public Task<FilingView> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TerminateFilingRequest request, CancellationToken ct) =>
        steps.StepAsync(conn, tx, request.FilingId, request.ExpectedVersion, request.Reason, CareFilingAction.Terminate, ct);
}
