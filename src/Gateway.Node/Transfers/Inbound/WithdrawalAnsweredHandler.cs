using Gateway.Contracts.Exchange.V1;
using Gateway.Domain.Transfers;
using Gateway.Storage;
using Npgsql;

using TransferState = Gateway.Domain.Transfers.TransferState;

namespace Gateway.Node.Transfers.Inbound;

/// <summary>Destination: the origin confirmed or refused the withdrawal.</summary>
public sealed class WithdrawalAnsweredHandler(TransferSteps steps) : InboundHandler<WithdrawalAnswered>
{
    protected override async Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, WithdrawalAnswered m, CancellationToken ct)
    {
        var (record, transfer) = await steps.LoadForInboundAsync(conn, tx, m.TransferId, envelope, TransferRole.Destination, ct);
        if (m.Confirmed && transfer.State == TransferState.WithdrawalRequested)
        {
            transfer.Withdraw(steps.BusinessDay(transfer));
            await steps.SaveAsync(conn, tx, record, transfer, ct);
            return;
        }
        // Refused: the origin acted first; its table or returned letter is (or will be) applied.
        await TransferStore.AppendTimelineAsync(conn, tx, transfer.Id, "WithdrawalRefused", steps.Clock.Today, steps.Clock.UtcNow,
            TransferSteps.Bounded(m.ReasonCode, 100), ct);
    }
}
