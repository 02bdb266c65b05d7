using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Documents;
using Npgsql;

namespace Gateway.Node.Sync.Filings.Calls;

/// <summary>Owner: suspends a filing (暂停) at the next version and tells the province of care.</summary>
public sealed class SuspendFilingHandler(FilingSteps steps)
{
    public Task<FilingView> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, SuspendFilingRequest request, CancellationToken ct) =>
        steps.StepAsync(conn, tx, request.FilingId, request.ExpectedVersion, request.Reason, CareFilingAction.Suspend, ct);
}
