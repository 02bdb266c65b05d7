using Gateway.Contracts.Exchange.V1;
using Gateway.Domain.Records;
using Gateway.Node.Application;
using Gateway.Node.Exchange;
using Gateway.Node.Grpc;
using Gateway.Node.Infrastructure;
using Gateway.Node.Transfers.Inbound;
using Npgsql;

namespace Gateway.Node.Sync.Enrolment.Inbound;

/// <summary>Index province: another province asks for a person's records and findings; answered from this node's table.</summary>
public sealed class EnrolmentQueryHandler(NodeIdentity node, ExchangeMembership exchange, EnrolmentSync sync, EnvelopeFactory envelopes)
    : InboundHandler<EnrolmentQuery>
{
    protected override async Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, EnrolmentQuery m, CancellationToken ct)
    {
        if (!WireText.IsIdentifier(m.QueryId) || m.QueryId.Length > 64 || m.QueryId != envelope.CorrelationId)
            throw new PoisonMessageException("EnrolmentQuery carries no usable query id (at most 64 characters, the envelope's correlation id).");
        EnrolmentRequestValidation.Normalize(m.Person);
        Domain.Values.IdentityNumber person;
        try { person = EnrolmentRequestValidation.Person(m.Person, "person", sync.Clock.Today); }
        catch (InvalidRequestException) { throw new PoisonMessageException("EnrolmentQuery names no valid person."); }
        // Misrouted: the asker would wait for an answer this node cannot give; the rejection stops its re-sends.
        if (exchange.IndexOf(person) != node.Province)
            throw new PoisonMessageException($"{EnrolmentCodes.NotIndexProvince}: this node is not the person's index province.");

        var answer = await sync.AnswerAsync(conn, tx, person, ct);
        answer.QueryId = m.QueryId;
        await Outbound.EnqueueAsync(conn, tx, envelopes.Create(envelope.SenderProvince, m.QueryId, "answer", answer, envelope.MessageId),
            PersonKey.Of(person).Value, ct);
    }
}
