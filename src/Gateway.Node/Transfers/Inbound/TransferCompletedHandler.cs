using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Domain.Transfers;
using Gateway.Domain.Values;
using Npgsql;

using TransferRole = Gateway.Domain.Transfers.TransferRole;

namespace Gateway.Node.Transfers.Inbound;

/// <summary>Origin: the destination credited and completed; the origin acknowledges and asks its system to close the record.</summary>
public sealed class TransferCompletedHandler(TransferSteps steps) : InboundHandler<TransferCompleted>
{
    protected override async Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, TransferCompleted m, CancellationToken ct)
    {
        var (record, transfer) = await steps.LoadForInboundAsync(conn, tx, m.TransferId, envelope, TransferRole.Origin, ct);
        TransferSteps.ApplyInbound(envelope, () =>
        {
            var day = steps.BusinessDay(transfer);
            transfer.Complete(new Money(m.CreditedAmountFen), day);
            transfer.Acknowledge(day);
        });
        await steps.SaveAsync(conn, tx, record, transfer, ct);
        await steps.AddWorkItemAsync(conn, tx, record, WorkItemKind.CloseOriginRecord, Steps.Close, null, ct);
    }
}
