using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Domain.Transfers;
using Npgsql;

using TransferRole = Gateway.Domain.Transfers.TransferRole;

namespace Gateway.Node.Transfers.Inbound;

/// <summary>Destination: the origin returned the letter; the province system is told why.</summary>
public sealed class LetterReturnedHandler(TransferSteps steps) : InboundHandler<LetterReturned>
{
    protected override async Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, LetterReturned m, CancellationToken ct)
    {
        var (record, transfer) = await steps.LoadForInboundAsync(conn, tx, m.TransferId, envelope, TransferRole.Destination, ct);
        var reason = ReturnReasons.TryParse(m.ReasonCode, out var r) ? r : ReturnReason.Other;
        TransferSteps.ApplyInbound(envelope, () => transfer.ReturnLetter(reason, m.Reason, steps.BusinessDay(transfer)));
        await steps.SaveAsync(conn, tx, record, transfer, ct);
        await steps.AddWorkItemAsync(conn, tx, record, WorkItemKind.LetterReturned, Steps.LetterReturnedNotice,
            (item, _) => { item.ReasonCode = reason.Code(); item.Reason = m.Reason; }, ct);
    }
}
