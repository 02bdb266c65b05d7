using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Domain.Values;
using Gateway.Node.Application;
using Gateway.Node.Grpc;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;
using DomainTransfer = Gateway.Domain.Transfers.Transfer;

namespace Gateway.Node.Transfers.Calls;

/// <summary>
/// Origin: the province system built the information table and debited the balance. The answer follows a debit, so it
/// is never refused and lost: a table that fails validation is kept on the item and the transfer is held for operators.
/// </summary>
public sealed class InformationTableAnswerHandler(TransferSteps steps)
{
    public async Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TransferRecord record, DomainTransfer transfer,
        InformationTableAnswer answer, DateOnly today, AnswerWorkItemResponse response, CancellationToken ct)
    {
        var table = answer.Table?.Clone();
        if (table is not null && string.IsNullOrEmpty(table.IssuedOn)) table.IssuedOn = TransferSteps.Iso(today);
        var problem = table is null ? "information_table.table: required" : Violations(table, answer.TransferredAmountFen, today);
        if (problem is not null)
        {
            await steps.HoldAsync(conn, tx, record, transfer, HoldCodes.InvalidTableAfterDebit,
                $"the table answered after the debit is not valid ({problem}); do not debit again", today, ct);
            response.Held = true;
            response.HoldReason = record.HoldReason;
            return;
        }

        table!.AmountCapitals = new Money(table.AmountFen).ToChineseCapitals();
        TransferSteps.Apply(() => transfer.SendInfoTable(new Money(table.AmountFen), new Money(answer.TransferredAmountFen), today));
        record.InfoTable = table.ToByteArray();
        await steps.SaveAsync(conn, tx, record, transfer, ct);
        await steps.SendAsync(conn, tx, record.CounterpartProvince, transfer.Id, Steps.InfoTable,
            new InformationTableSent { TransferId = transfer.Id, Table = table, TransferredAmountFen = answer.TransferredAmountFen, SentOn = TransferSteps.Iso(today) }, ct);
    }

    private static string? Violations(InformationTable table, long transferredAmountFen, DateOnly today)
    {
        try
        {
            RequestValidation.ValidateInformationTable(table, transferredAmountFen, today);
            return null;
        }
        catch (InvalidRequestException ex)
        {
            return string.Join("; ", ex.Violations.Take(10).Select(v => $"{v.Field}: {v.Description}"));
        }
    }
}
