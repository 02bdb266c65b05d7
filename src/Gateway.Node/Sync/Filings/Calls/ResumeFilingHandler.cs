using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Documents;
using Npgsql;

namespace Gateway.Node.Sync.Filings.Calls;

/// <summary>Owner: resumes a filing (恢复) at the next version and tells the province of care.</summary>
public sealed class ResumeFilingHandler(FilingSteps steps)
{
    public Task<FilingView> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ResumeFilingRequest request, CancellationToken ct) =>
        steps.StepAsync(conn, tx, request.FilingId, request.ExpectedVersion, request.Reason, CareFilingAction.Resume, ct);
}
