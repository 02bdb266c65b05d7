using Gateway.Contracts.Transfer.V1;
using Gateway.Domain.Transfers;
using Gateway.Node.Application;
using Gateway.Storage;
using Npgsql;
using DomainTransfer = Gateway.Domain.Transfers.Transfer;

namespace Gateway.Node.Transfers.Calls;

/// <summary>Origin: the province system says whether the person is suspended (中止参保); only then may the table be built.</summary>
public sealed class OriginEnrolmentAnswerHandler(TransferSteps steps)
{
    public async Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TransferRecord record, DomainTransfer transfer,
        OriginEnrolmentAnswer answer, DateOnly today, CancellationToken ct)
    {
        if (answer.Status == EnrolmentStatus.Suspended)
        {
            if (transfer.Check(TransferEvent.SendInfoTable) is { } refused)
                throw new RefusedException(refused.Reason, refused.Message);
            await steps.AddWorkItemAsync(conn, tx, record, WorkItemKind.BuildInformationTable, Steps.BuildTable, (item, letter) =>
            {
                // The debit item says where the money goes.
                item.DestinationAccount = letter.Letter?.DestinationAccount;
                item.DestinationAgency = letter.Letter?.DestinationAgency;
            }, ct);
            return;
        }
        var (reason, text) = answer.Status switch
        {
            EnrolmentStatus.UnknownPerson => (ReturnReason.PersonUnknown, "The person is not insured at the origin."),
            EnrolmentStatus.Active => (ReturnReason.PersonNotSuspended, "The person is still actively enrolled at the origin; enrolment must be suspended before a transfer-out."),
            EnrolmentStatus.Terminated => (ReturnReason.PersonNotSuspended, "The person's enrolment at the origin is terminated, not suspended."),
            _ => throw InvalidRequestException.Single("origin_enrolment.status", "State the person's enrolment status at the origin (ACTIVE, SUSPENDED, TERMINATED or UNKNOWN_PERSON)."),
        };
        if (!string.IsNullOrWhiteSpace(answer.Remarks)) text += " " + answer.Remarks.Trim();
        await steps.ReturnLetterAsync(conn, tx, record, transfer, reason, text, today, ct);
    }
}
