using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Domain.Transfers;
using Gateway.Domain.Values;
using Gateway.Node.Application;
using Gateway.Node.Grpc;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;
using DomainTransfer = Gateway.Domain.Transfers.Transfer;

namespace Gateway.Node.Transfers.Calls;

/// <summary>Destination: accepts an application with its certificate and sends the contact letter, in one transaction.</summary>
public sealed class SubmitApplicationHandler(TransferSteps steps, TransferViews views, DocumentNumbers numbers, ILogger<SubmitApplicationHandler> logger)
{
    public async Task<Contracts.Transfer.V1.Transfer> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, SubmitApplicationRequest request, CancellationToken ct)
    {
        var today = steps.Clock.Today;
        var acceptedOn = RequestValidation.AcceptanceDate(request.AcceptedOn, today);
        RequestValidation.ValidateApplication(request, steps.Node.Province, acceptedOn);

        await TransferStore.LockCertificateAsync(conn, tx, request.Certificate.Number, ct);
        if (await TransferStore.FindUseOfCertificateAsync(conn, tx, request.Certificate.Number, ct) is { } use)
            throw use.Open
                ? new RefusedException("TRANSFER_ALREADY_OPEN",
                    $"Certificate {request.Certificate.Number} already has an open transfer ({use.TransferId}); withdraw it or wait for it to end.",
                    new Dictionary<string, string> { ["transfer_id"] = use.TransferId })
                : new RefusedException(ReturnReason.CertificateAlreadyUsed.Code(),
                    $"Certificate {request.Certificate.Number} already served a completed transfer ({use.TransferId}); the origin must issue a new one.",
                    new Dictionary<string, string> { ["transfer_id"] = use.TransferId });

        var origin = new ProvinceCode(request.Certificate.InsuplcAdmdvs[..2]);
        var destination = new ProvinceCode(steps.Node.Province);
        var transferId = TransferIds.New(destination, Guid.CreateVersion7());
        var destinationRegion = new DivisionCode(request.DestinationAgency.Admdvs);
        var application = request.Application.Clone();
        if (string.IsNullOrEmpty(application.Number))
            application.Number = (await numbers.NextAsync(conn, tx, "application", destinationRegion, acceptedOn.Year, ct)).Value;
        var letterNumber = await numbers.NextAsync(conn, tx, "letter", destinationRegion, acceptedOn.Year, ct);

        // The letter goes out with the acceptance: same transaction, so "accepted" never exists without it.
        var transfer = DomainTransfer.Accept(transferId, origin, destination, acceptedOn);
        transfer.SendLetter(acceptedOn);
        var letter = new ContactLetterSent
        {
            TransferId = transferId,
            Certificate = request.Certificate,
            AcceptedOn = TransferSteps.Iso(acceptedOn),
            SentOn = TransferSteps.Iso(acceptedOn),
            Application = application,
            Letter = new ContactLetter
            {
                Number = letterNumber.Value,
                IssuedOn = TransferSteps.Iso(acceptedOn),
                OriginAgency = request.Application.OriginAgency,
                Person = request.Application.Person,
                AccountMoves = true,
                Insutype = request.Application.Insutype,
                DestinationAgency = request.DestinationAgency,
                DestinationAccount = request.DestinationAccount,
                Handler = request.Handler,
                HandlerPhone = request.HandlerPhone,
            }
        };
        var record = new TransferRecord
        {
            Snapshot = transfer.ToSnapshot(),
            CertificateNumber = request.Certificate.Number,
            Certno = request.Application.Person.Certno,
            Letter = letter.ToByteArray(),
        };
        await TransferStore.InsertAsync(conn, tx, record, ct);
        await steps.SendAsync(conn, tx, origin.Value, transferId, Steps.Letter, letter, ct);
        logger.LogInformation("Transfer {TransferId} accepted; contact letter to {Origin}", transferId, origin);
        return await views.ViewAsync(conn, tx, record, ct);
    }
}
