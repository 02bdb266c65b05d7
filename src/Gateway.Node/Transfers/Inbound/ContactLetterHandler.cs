using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Domain.Transfers;
using Gateway.Domain.Values;
using Gateway.Node.Application;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;
using DomainCertificate = Gateway.Domain.Documents.Certificate;
using DomainTransfer = Gateway.Domain.Transfers.Transfer;

namespace Gateway.Node.Transfers.Inbound;

/// <summary>
/// Origin: a contact letter arrived. It is trusted only from the province its transfer id names, and acted on only
/// with a live certificate this node issued to the same person and insurance type, accepted while still valid.
/// Anything else returns the letter with a reason the destination sees; no work item, so no debit, is created.
/// </summary>
public sealed class ContactLetterHandler(TransferSteps steps, ILogger<ContactLetterHandler> logger) : InboundHandler<ContactLetterSent>
{
    protected override async Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, ContactLetterSent m, CancellationToken ct)
    {
        var node = steps.Node.Province;
        if (m.Certificate?.Person is null || m.Letter?.Person is null || string.IsNullOrEmpty(m.TransferId) || string.IsNullOrEmpty(m.Certificate.Number))
            throw new PoisonMessageException("The contact letter lacks its transfer id, certificate, certificate number or person.");
        if (m.TransferId != envelope.CorrelationId)
            throw new PoisonMessageException("The contact letter's transfer id differs from its envelope's correlation id.");
        if (m.Certificate.InsuplcAdmdvs is not { Length: 6 } region || region[..2] != node)
            throw new PoisonMessageException($"The certificate's region is not in province {node}: misrouted.");
        // Only the destination the transfer id names may open it; anyone else would act in another province's exchange.
        if (!TransferIds.TryDestination(m.TransferId, out var destination) || destination.Value != envelope.SenderProvince)
            throw new UntrustedEnvelopeException(TrustCodes.SenderMismatch,
                $"A contact letter from {envelope.SenderProvince} for transfer {TransferSteps.Bounded(m.TransferId, 64)}, which that province did not open.");

        if (await TransferStore.FindAsync(conn, tx, m.TransferId, forUpdate: true, ct) is not null)
            return; // same transfer, new message id (e.g. replayed by an operator): already applied
        if (await TransferStore.WasWithdrawnBeforeLetterAsync(conn, tx, m.TransferId, ct))
        {
            logger.LogInformation("Letter for {TransferId} arrived after its withdrawal was confirmed; ignored", m.TransferId);
            return;
        }

        // Clocks of two provinces may disagree around midnight: never receive before the letter says it was sent.
        var today = steps.Clock.Today;
        var acceptedOn = TryDate(m.AcceptedOn);
        var sentOn = TryDate(m.SentOn);
        var receivedOn = new[] { today, acceptedOn ?? today, sentOn ?? today }.Max();
        var transfer = DomainTransfer.ReceiveLetter(m.TransferId, new ProvinceCode(node), destination, receivedOn, acceptedOn, sentOn);
        var record = new TransferRecord
        {
            Snapshot = transfer.ToSnapshot(),
            CertificateNumber = m.Certificate.Number,
            Certno = m.Letter.Person.Certno,
            Letter = m.ToByteArray(),
        };
        await TransferStore.InsertAsync(conn, tx, record, ct);

        if (await RefusalAsync(conn, tx, envelope, m, acceptedOn ?? receivedOn, ct) is { } refusal)
        {
            await steps.ReturnLetterAsync(conn, tx, record, transfer, refusal.Reason, refusal.Text, receivedOn, ct);
            return;
        }
        await TransferStore.ConsumeCertificateAsync(conn, tx, m.Certificate.Number, m.TransferId, ct);
        await steps.AddWorkItemAsync(conn, tx, record, WorkItemKind.CheckOriginEnrolment, Steps.CheckOrigin, null, ct);
    }

    private static async Task<(ReturnReason Reason, string Text)?> RefusalAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, ContactLetterSent m, DateOnly acceptedOn, CancellationToken ct)
    {
        var agency = m.Letter.DestinationAgency?.Admdvs ?? "";
        if (agency.Length != 6 || agency[..2] != envelope.SenderProvince)
            return (ReturnReason.SenderMismatch, $"The letter's destination agency is not in province {envelope.SenderProvince}, which sent it.");

        // Locked: two letters presenting one certificate are decided one after the other.
        var issued = await TransferStore.FindCertificateForUpdateAsync(conn, tx, m.Certificate.Number, ct);
        if (issued is null)
            return (ReturnReason.CertificateUnknown, "This origin never issued a certificate with that number.");
        if (!SamePerson(issued.Certno, m.Certificate.Person.Certno) || !SamePerson(issued.Certno, m.Letter.Person.Certno))
            return (ReturnReason.DocumentsInconsistent, "The certificate number was issued here to a different person than the letter names.");
        if (issued.Insutype is { } insutype && (insutype != (int)m.Certificate.Insutype || insutype != (int)m.Letter.Insutype))
            return (ReturnReason.DocumentsInconsistent, "The certificate was issued here for another insurance type than the letter names.");
        if (acceptedOn < issued.IssuedOn || acceptedOn > DomainCertificate.ValidThroughFor(issued.IssuedOn))
            return (ReturnReason.CertificateExpired,
                $"The application was accepted on {acceptedOn:yyyy-MM-dd}; the certificate of {issued.IssuedOn:yyyy-MM-dd} supports one through {DomainCertificate.ValidThroughFor(issued.IssuedOn):yyyy-MM-dd}.");
        if (issued.IsSuperseded)
            return (ReturnReason.CertificateSuperseded, "The origin has since issued the person a newer certificate of this insurance type; present that one.");
        if (!issued.IsLive)
            return (ReturnReason.CertificateAlreadyUsed, "The certificate already serves another transfer-out.");
        return null;
    }

    private static bool SamePerson(string a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static DateOnly? TryDate(string s) => DateOnly.TryParseExact(s, "yyyy-MM-dd", out var d) ? d : null;
}
