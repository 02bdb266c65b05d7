using Gateway.Contracts.Exchange.V1;
using Gateway.Domain.Transfers;
using Gateway.Node.Application;
using Gateway.Storage;
using Npgsql;

namespace Gateway.Node.Transfers.Inbound;

/// <summary>
/// Origin: the destination asks to withdraw. Only the transfer's destination may ask (the province its id names,
/// which is also the counterpart of this node's copy). Confirmed while nothing reached the province system's debit.
/// </summary>
public sealed class WithdrawalRequestedHandler(TransferSteps steps) : InboundHandler<WithdrawalRequested>
{
    protected override async Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, WithdrawalRequested m, CancellationToken ct)
    {
        if (m.TransferId != envelope.CorrelationId)
            throw new PoisonMessageException("The withdrawal request's transfer id differs from its envelope's correlation id.");
        if (!TransferIds.TryDestination(m.TransferId, out var destination) || destination.Value != envelope.SenderProvince)
            throw new UntrustedEnvelopeException(TrustCodes.SenderMismatch,
                $"A withdrawal request from {envelope.SenderProvince} for transfer {TransferSteps.Bounded(m.TransferId, 64)}, whose destination it is not.");

        var record = await TransferStore.FindAsync(conn, tx, m.TransferId, forUpdate: true, ct);
        string? refusal = null;
        if (record is null)
        {
            // The letter has not arrived yet: nothing was done here, so confirm and ignore the letter when it comes.
            await TransferStore.RecordWithdrawnBeforeLetterAsync(conn, tx, m.TransferId, envelope.SenderProvince, ct);
        }
        else if (!record.IsOrigin || record.CounterpartProvince != envelope.SenderProvince)
            throw new UntrustedEnvelopeException(TrustCodes.SenderMismatch, "The withdrawal request does not come from the destination of this node's copy.");
        else
        {
            var transfer = record.ToDomain();
            if (transfer.Check(TransferEvent.Withdraw) is { } refused)
                refusal = refused.Reason;
            // Once the table item may have reached the province system, money may have moved: that is acting.
            // The cancel and the stream's delivery count update the same row, so exactly one of them wins.
            else if (!await WorkItemFeed.CancelIfUndeliveredAsync(conn, tx, TransferSteps.ItemId(transfer.Id, Steps.BuildTable), ct))
                refusal = ReasonCodes.OriginAlreadyActed;
            else
            {
                transfer.Withdraw(steps.BusinessDay(transfer));
                await steps.SaveAsync(conn, tx, record, transfer, ct);
                await WorkItemStore.MarkCancelledAsync(conn, tx, TransferSteps.ItemId(transfer.Id, Steps.CheckOrigin), steps.Clock.UtcNow, ct);
                await TransferStore.ReleaseCertificateAsync(conn, tx, transfer.Id, ct);
            }
        }
        await steps.SendAsync(conn, tx, envelope.SenderProvince, m.TransferId, Steps.WithdrawalAnswer,
            new WithdrawalAnswered { TransferId = m.TransferId, Confirmed = refusal is null, ReasonCode = refusal ?? "", AnsweredOn = TransferSteps.Iso(steps.Clock.Today) },
            ct, envelope.MessageId);
    }
}
