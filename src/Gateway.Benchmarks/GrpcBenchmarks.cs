using Gateway.Benchmarks.Echo;
using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Gateway.Benchmarks;

/// <summary>
/// The gRPC phase: a bare echo on Kestrel h2c (baseline) against the node's calls, all with the same
/// client, the same number of concurrent callers and the same measured time.
/// </summary>
public sealed class GrpcBenchmarks(GatewayCluster cluster, BenchmarkSettings settings, string province, DateOnly today)
{
    private const int DistinctRequests = 64;

    /// <summary>Certificates of real registry people, built before timing so only the call is measured.</summary>
    private IssueCertificateRequest[] BuildRequests()
    {
        var registry = cluster[province].Registry;
        var documents = new ProvinceDocuments(registry.Profile);
        return registry.People.Where(p => p.BalanceFen > 0 && p.Periods.Count > 0).Take(DistinctRequests)
            .Select(p => new IssueCertificateRequest { Certificate = documents.BuildCertificate(p, null, today) })
            .ToArray();
    }

    public int RequestBytes => BuildRequests()[0].CalculateSize();

    /// <summary>Certificates are numbered per pooling region: fewer regions, more calls share one sequence row.</summary>
    public int PoolingRegions => BuildRequests().Select(r => r.Certificate.InsuplcAdmdvs).Distinct().Count();

    public async Task<LoadResult> EchoAsync(CancellationToken ct)
    {
        await using var host = await EchoHost.StartAsync(ct);
        using var channel = GrpcChannel.ForAddress(host.Address);
        var client = new EchoService.EchoServiceClient(channel);
        // Same payload size as a certificate request, so the baseline moves the same bytes.
        var message = new EchoMessage { Payload = ByteString.CopyFrom(new byte[RequestBytes]) };
        return await LoadRunner.RunAsync("bare gRPC echo (baseline)", settings.Concurrency, settings.Warmup, settings.Duration,
            async (_, _, token) => await client.EchoAsync(message, cancellationToken: token), ct);
    }

    /// <summary>A new idempotency key every call: lock the key, insert the certificate, store key + response, commit, then Redis.</summary>
    public async Task<LoadResult> IssueCertificateAsync(CancellationToken ct)
    {
        var requests = BuildRequests();
        using var channel = GrpcChannel.ForAddress(cluster[province].Address);
        var client = new TransferService.TransferServiceClient(channel);
        return await LoadRunner.RunAsync("node IssueCertificate (new key)", settings.Concurrency, settings.Warmup, settings.Duration,
            async (_, n, token) => await client.IssueCertificateAsync(requests[n % requests.Length], TransferDriver.Key(), cancellationToken: token), ct);
    }

    /// <summary>The same keys again: answered from the Redis fast path without touching PostgreSQL.</summary>
    public async Task<LoadResult> ReplayAsync(CancellationToken ct)
    {
        var requests = BuildRequests();
        var keys = requests.Select(_ => Guid.NewGuid().ToString("N")).ToArray();
        using var channel = GrpcChannel.ForAddress(cluster[province].Address);
        var client = new TransferService.TransferServiceClient(channel);
        for (var i = 0; i < requests.Length; i++)
            await client.IssueCertificateAsync(requests[i], TransferDriver.Key(keys[i]), cancellationToken: ct);
        return await LoadRunner.RunAsync("node IssueCertificate (repeated key)", settings.Concurrency, settings.Warmup, settings.Duration,
            async (_, n, token) =>
            {
                var i = (int)(n % requests.Length);
                await client.IssueCertificateAsync(requests[i], TransferDriver.Key(keys[i]), cancellationToken: token);
            }, ct);
    }

    /// <summary>Reads of transfers that exist (one row plus its timeline and deadlines).</summary>
    public async Task<LoadResult> GetTransferAsync(IReadOnlyList<string> transferIds, string holder, CancellationToken ct)
    {
        if (transferIds.Count == 0) throw new InvalidOperationException("GetTransfer needs transfers; the end-to-end phase made none.");
        using var channel = GrpcChannel.ForAddress(cluster[holder].Address);
        var client = new TransferService.TransferServiceClient(channel);
        return await LoadRunner.RunAsync("node GetTransfer", settings.Concurrency, settings.Warmup, settings.Duration,
            async (_, n, token) => await client.GetTransferAsync(new GetTransferRequest { TransferId = transferIds[(int)(n % transferIds.Count)] },
                cancellationToken: token), ct);
    }
}
