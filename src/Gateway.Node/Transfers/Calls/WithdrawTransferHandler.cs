using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Domain.Transfers;
using Gateway.Node.Application;
using Npgsql;
using TransferState = Gateway.Domain.Transfers.TransferState;

namespace Gateway.Node.Transfers.Calls;

/// <summary>Destination: withdraws before the letter leaves, or asks the origin to confirm a withdrawal once it has.</summary>
public sealed class WithdrawTransferHandler(TransferSteps steps, TransferViews views)
{
    public async Task<Contracts.Transfer.V1.Transfer> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, WithdrawTransferRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.TransferId))
            throw InvalidRequestException.Single("transfer_id", "Name the transfer to withdraw.");
        var record = await steps.LoadForCallAsync(conn, tx, request.TransferId, ct);
        if (record.IsOrigin)
            throw new RefusedException(ReasonCodes.WrongRole, "Only the destination withdraws a transfer; this node holds the origin's copy.");
        var transfer = record.ToDomain();
        var today = steps.Clock.Today;

        if (transfer.State == TransferState.Accepted)
        {
            TransferSteps.Apply(() => transfer.Withdraw(today));
        }
        else
        {
            TransferSteps.Apply(() => transfer.RequestWithdrawal(today));
            await steps.SendAsync(conn, tx, transfer.Origin.Value, transfer.Id, Steps.WithdrawalRequest,
                new WithdrawalRequested { TransferId = transfer.Id, Reason = request.Reason, RequestedOn = TransferSteps.Iso(today) }, ct);
        }
        await steps.SaveAsync(conn, tx, record, transfer, ct);
        return await views.ViewAsync(conn, tx, record, ct);
    }
}
