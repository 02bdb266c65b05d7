using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Domain.Transfers;
using Gateway.Domain.Values;
using Gateway.Storage;
using Npgsql;
using DomainTransfer = Gateway.Domain.Transfers.Transfer;

namespace Gateway.Node.Transfers.Calls;

/// <summary>Destination: the province system credited the balance; the transfer completes and the origin is told.</summary>
public sealed class CreditBalanceAnswerHandler(TransferSteps steps)
{
    public async Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TransferRecord record, DomainTransfer transfer,
        CreditBalanceAnswer answer, DateOnly today, AnswerWorkItemResponse response, CancellationToken ct)
    {
        if (transfer.Check(TransferEvent.Complete) is null && answer.CreditedAmountFen != transfer.TransferredAmount?.Fen)
        {
            // The province system has credited already: refusing would hide that. Keep the answer, hold the transfer.
            await steps.HoldAsync(conn, tx, record, transfer, HoldCodes.AmountMismatch,
                $"credited {SafeMoney(answer.CreditedAmountFen)}, transferred {transfer.TransferredAmount}", today, ct);
            response.Held = true;
            response.HoldReason = record.HoldReason;
            return;
        }
        TransferSteps.Apply(() => transfer.Complete(new Money(answer.CreditedAmountFen), today));
        await steps.SaveAsync(conn, tx, record, transfer, ct);
        await steps.SendAsync(conn, tx, record.CounterpartProvince, transfer.Id, Steps.Completed,
            new TransferCompleted { TransferId = transfer.Id, CreditedAmountFen = answer.CreditedAmountFen, CompletedOn = TransferSteps.Iso(today) }, ct);
    }

    private static string SafeMoney(long fen) => fen is >= -Money.MaxFen and <= Money.MaxFen ? new Money(fen).ToString() : $"{fen} fen";
}
