using Gateway.Contracts.Exchange.V1;
using Gateway.Node.Transfers.Inbound;
using Npgsql;

namespace Gateway.Node.Sync.Enrolment.Inbound;

/// <summary>
/// Asking province: the index province's answer goes to the call waiting for it. Trusted only from the province asked;
/// an answer nobody waits for any more (the call gave up) is acknowledged and dropped.
/// </summary>
public sealed class EnrolmentQueryAnsweredHandler(PendingEnrolmentQueries pending, ILogger<EnrolmentQueryAnsweredHandler> logger)
    : InboundHandler<EnrolmentQueryAnswered>
{
    protected override Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, EnrolmentQueryAnswered m, CancellationToken ct)
    {
        if (!pending.Complete(m.QueryId, envelope.SenderProvince, m))
            logger.LogDebug("Answer to enrolment query {QueryId} from {Sender} came after its call ended; dropped", m.QueryId, envelope.SenderProvince);
        return Task.CompletedTask;
    }
}
