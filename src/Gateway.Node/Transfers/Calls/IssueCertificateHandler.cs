using Gateway.Contracts.Transfer.V1;
using Gateway.Domain.Values;
using Gateway.Node.Application;
using Gateway.Node.Grpc;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;

namespace Gateway.Node.Transfers.Calls;

/// <summary>
/// Origin: numbers and records a certificate (参保凭证). A new certificate supersedes the person's earlier live one of
/// the same insurance type, so exactly one can start a transfer-out; none is issued while one serves an open transfer.
/// </summary>
public sealed class IssueCertificateHandler(TransferSteps steps, DocumentNumbers numbers)
{
    public async Task<Certificate> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IssueCertificateRequest request, CancellationToken ct)
    {
        var today = steps.Clock.Today;
        var certificate = request.Certificate?.Clone() ?? throw InvalidRequestException.Single("certificate", "A certificate is required.");
        RequestValidation.ValidateCertificateForIssue(certificate, steps.Node.Province, today);

        var issuedOn = string.IsNullOrEmpty(certificate.IssuedOn) ? today : DateOnly.ParseExact(certificate.IssuedOn, "yyyy-MM-dd");
        certificate.Number = (await numbers.NextAsync(conn, tx, "certificate", new DivisionCode(certificate.InsuplcAdmdvs), issuedOn.Year, ct)).Value;
        certificate.IssuedOn = TransferSteps.Iso(issuedOn);
        certificate.AccountBalanceCapitals = new Money(certificate.AccountBalanceFen).ToChineseCapitals();

        var open = await TransferStore.InsertCertificateAsync(conn, tx, certificate.Number, certificate.Person.Certno, (int)certificate.Insutype,
            issuedOn, certificate.ToByteArray(), ct);
        if (open is not null)
            throw new RefusedException("CERTIFICATE_IN_USE",
                $"The person's certificate for this insurance type serves an open transfer-out ({open}); it must end before a new certificate is issued.",
                new Dictionary<string, string> { ["transfer_id"] = open });
        return certificate;
    }
}
