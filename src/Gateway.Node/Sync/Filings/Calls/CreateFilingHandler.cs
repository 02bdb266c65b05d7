using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Documents;
using Gateway.Domain.Records;
using Gateway.Node.Grpc;
using Npgsql;

namespace Gateway.Node.Sync.Filings.Calls;

/// <summary>Owner: files a new filing (新增) at version 1 and delivers it to the province of care.</summary>
public sealed class CreateFilingHandler(FilingSteps steps)
{
    public Task<FilingView> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CreateFilingRequest request, CancellationToken ct)
    {
        var status = FilingSteps.NextStatus(null, CareFilingAction.New);
        var filing = RequestValidation.ValidateFilingForOwner(request.Filing, steps.Node.Province, steps.Clock.Today, status);
        var document = request.Filing.Clone();
        document.FiledOn = FilingViews.Iso(filing.FiledOn);
        document.Status = (FilingStatus)status;
        return steps.CommitOwnAsync(conn, tx, document, PersonKey.Of(filing.Person.Identity).Value, previous: null, CareFilingAction.New, null, ct);
    }
}
