using System.Collections.Concurrent;
using Gateway.Contracts.Transfer.V1;
using Grpc.Core;

namespace Gateway.ProvinceSimulator.Tests.FakeNode;

/// <summary>Records the clerk-side calls and numbers certificates, nothing more.</summary>
public sealed class FakeTransferLog
{
    public ConcurrentQueue<(string Key, IssueCertificateRequest Request)> Certificates { get; } = new();
    public ConcurrentQueue<(string Key, SubmitApplicationRequest Request)> Applications { get; } = new();
}

internal sealed class FakeTransferService(FakeTransferLog log) : TransferService.TransferServiceBase
{
    public override Task<Certificate> IssueCertificate(IssueCertificateRequest request, ServerCallContext context)
    {
        log.Certificates.Enqueue((Key(context), request));
        var certificate = request.Certificate.Clone();
        certificate.Number = $"{certificate.InsuplcAdmdvs}{certificate.IssuedOn[..4]}{log.Certificates.Count:00000}";
        return Task.FromResult(certificate);
    }

    public override Task<Transfer> SubmitApplication(SubmitApplicationRequest request, ServerCallContext context)
    {
        log.Applications.Enqueue((Key(context), request));
        return Task.FromResult(new Transfer
        {
            TransferId = "T-" + request.Certificate.Number,
            Role = TransferRole.Destination,
            State = TransferState.Accepted,
            Person = request.Application.Person,
        });
    }

    private static string Key(ServerCallContext context) =>
        context.RequestHeaders.GetValue(SimulatedProvinceSystem.IdempotencyHeader)
        ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "idempotency-key header missing"));
}
