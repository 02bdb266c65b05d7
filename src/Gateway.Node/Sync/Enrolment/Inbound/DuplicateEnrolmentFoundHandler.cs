using Gateway.Contracts.Exchange.V1;
using Gateway.Domain.Enrolment;
using Gateway.Domain.Records;
using Gateway.Domain.Values;
using Gateway.Node.Application;
using Gateway.Node.Grpc;
using Gateway.Node.Infrastructure;
using Gateway.Node.Transfers;
using Gateway.Node.Transfers.Inbound;
using Gateway.Storage;
using Npgsql;

namespace Gateway.Node.Sync.Enrolment.Inbound;

/// <summary>
/// Involved province: the person's index province found a duplicate enrolment that involves a record of this province.
/// Trusted only from the person's index province. Kept once per finding id, and handed to the province system as a
/// DUPLICATE_ENROLMENT work item.
/// </summary>
public sealed class DuplicateEnrolmentFoundHandler(NodeIdentity node, ExchangeMembership exchange, EnrolmentSync sync)
    : InboundHandler<DuplicateEnrolmentFound>
{
    private const int MaxRecords = 100;

    protected override async Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, DuplicateEnrolmentFound m, CancellationToken ct)
    {
        var f = m.Finding ?? throw new PoisonMessageException("DuplicateEnrolmentFound carries no finding.");
        EnrolmentRequestValidation.Normalize(f.Person);
        IdentityNumber person;
        try { person = EnrolmentRequestValidation.Person(f.Person, "finding.person", sync.Clock.Today); }
        catch (InvalidRequestException) { throw new PoisonMessageException("DuplicateEnrolmentFound names no valid person."); }

        if (exchange.IndexOf(person) != envelope.SenderProvince || f.IndexProvince != envelope.SenderProvince)
            throw new UntrustedEnvelopeException(TrustCodes.SenderMismatch,
                $"A duplicate-enrolment finding from {envelope.SenderProvince}, which is not the person's index province.");
        if (f.Records.Count is < 2 or > MaxRecords || !System.Enum.IsDefined(f.Kind) || f.Kind == 0
            || !YearMonth.TryParse(f.From, out var from, out _) || !YearMonth.TryParse(f.To, out var to, out _))
            throw new PoisonMessageException("DuplicateEnrolmentFound carries a malformed finding.");
        if (!f.Records.Any(r => r.OwnerProvince == node.Province))
            throw new PoisonMessageException("DuplicateEnrolmentFound names no record of this province.");
        var id = DuplicateEnrolmentFinding.IdOf((DuplicateEnrolmentKind)f.Kind, f.Records.Select(r => (r.OwnerProvince, r.RecordId)), from, to);
        if (id != f.FindingId || id != m.FindingId)
            throw new PoisonMessageException("DuplicateEnrolmentFound's finding id does not match its kind, records and period.");

        await EnrolmentStore.AddFindingAsync(conn, tx, EnrolmentMapping.Stored(f, PersonKey.Of(person).Value, sync.Clock.UtcNow), ct);
        await sync.TakeUpAsync(conn, tx, f, ct);
    }
}
