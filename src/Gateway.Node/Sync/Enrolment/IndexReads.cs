using Gateway.Contracts.Exchange.V1;
using Gateway.Domain.Records;
using Gateway.Domain.Values;
using Gateway.Node.Application;
using Gateway.Node.Exchange;
using Gateway.Node.Infrastructure;
using Gateway.Storage;

namespace Gateway.Node.Sync.Enrolment;

/// <summary>
/// A read of a person's enrolment summary: from this node's table when it is the index province, otherwise an
/// EnrolmentQuery to the index through the outbox and a wait for its answer, bounded by the call's deadline and
/// <c>Gateway:EnrolmentQueryTimeout</c> (default 5 s). No answer in time: UNAVAILABLE, INDEX_PROVINCE_UNREACHABLE.
/// </summary>
public sealed class IndexReads(
    NodeDatabase db,
    EnrolmentSync sync,
    ExchangeMembership exchange,
    NodeIdentity node,
    PendingEnrolmentQueries pending,
    EnvelopeFactory envelopes,
    OutboxHandOff handOff,
    IConfiguration config)
{
    public const string TimeoutSetting = "Gateway:EnrolmentQueryTimeout";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);
    // Left of the caller's deadline, so it hears UNAVAILABLE with the reason rather than DEADLINE_EXCEEDED.
    private static readonly TimeSpan DeadlineMargin = TimeSpan.FromMilliseconds(500); // a loaded node still answers before the deadline

    private readonly TimeSpan _timeout = config.GetValue<TimeSpan?>(TimeoutSetting) is { } t && t > TimeSpan.Zero ? t : DefaultTimeout;

    public async Task<(string IndexProvince, EnrolmentQueryAnswered Answer)> ReadAsync(IdentityNumber person, DateTime deadline, CancellationToken ct)
    {
        var index = exchange.IndexOf(person);
        if (index == node.Province)
            return (index, await db.WithConnectionAsync((conn, token) => sync.AnswerAsync(conn, null, person, token), ct));

        using var query = pending.Register(index);
        // Handed to the producer at once: the call waits for the answer, so the relay's fallback poll would be too late.
        using (var scope = OutboxCapture.Begin())
        {
            await db.InTransactionAsync((conn, tx, token) => Outbound.EnqueueAsync(conn, tx,
                envelopes.Create(index, query.Id, "query", new EnrolmentQuery { QueryId = query.Id, Person = EnrolmentMapping.PersonRef(person) }),
                PersonKey.Of(person).Value, token), ct);
            handOff.Offer(scope.Capture.Committed);
        }

        var wait = _timeout;
        if (deadline != DateTime.MaxValue)
        {
            var left = deadline.ToUniversalTime() - DateTime.UtcNow - DeadlineMargin;
            if (left < wait) wait = left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
        try
        {
            return (index, await query.Answer.WaitAsync(wait, ct));
        }
        catch (TimeoutException)
        {
            throw new UnavailableException(EnrolmentCodes.IndexUnreachable,
                $"The person's index province {index} did not answer within {wait.TotalSeconds:0.#} s; nothing was changed, ask again later.",
                new Dictionary<string, string> { ["index_province"] = index });
        }
    }
}
