using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Documents;
using Gateway.Domain.Records;
using Gateway.Node.Application;
using Gateway.Node.Grpc;
using Npgsql;

namespace Gateway.Node.Sync.Filings.Calls;

/// <summary>
/// Owner: replaces the content (变更) at the next version, keeping the status. A new destination province gets the
/// filing and the old one its removal, both at that version.
/// </summary>
public sealed class ChangeFilingHandler(FilingSteps steps)
{
    public async Task<FilingView> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ChangeFilingRequest request, CancellationToken ct)
    {
        // The content is checked before the row is read: bad input is INVALID_ARGUMENT whether or not the filing exists.
        var filing = RequestValidation.ValidateFilingForOwner(request.Filing, steps.Node.Province, steps.Clock.Today, CareFilingStatus.Active);
        RequestValidation.ValidateFilingStep(filing.FilingId, request.ExpectedVersion, "filing.filing_id");
        var row = await steps.LoadOwnForUpdateAsync(conn, tx, filing.FilingId, ct);
        FilingSteps.CheckVersion(row, request.ExpectedVersion);
        var status = FilingSteps.NextStatus(FilingViews.StatusOf(row), CareFilingAction.Change);
        // The person keys the filing's partition and its replicas' index: another person is another filing.
        if (PersonKey.Of(filing.Person.Identity).Value != row.PersonKey)
            throw InvalidRequestException.Single("filing.person.certno", "a filing's person cannot change: terminate this filing and file a new one");

        var document = request.Filing.Clone();
        document.FiledOn = FilingViews.Iso(filing.FiledOn);
        document.Status = (FilingStatus)status;
        return await steps.CommitOwnAsync(conn, tx, document, row.PersonKey, row, CareFilingAction.Change, null, ct);
    }
}
