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
public sealed class GrpcBenchmarks(GatewayCluster cluster, BenchmarkSettings settings, string province, DateOnly today) : IAsyncDisposable
{
    private const int RequestsPerRegion = 32;
    private IssueCertificateRequest[][]? _byRegion;

    /// <summary>
    /// Certificates of real registry people, built before timing so only the call is measured, grouped by pooling
    /// region (the profile's prefecture-level cities): caller w issues in region w mod R, so the callers are spread
    /// over every region the province has, as real clerks would be. People come from the end of the registry,
    /// which the transfer phases (picking from the front) never reach, so no transfer's certificate is superseded.
    /// </summary>
    private IssueCertificateRequest[][] ByRegion()
    {
        if (_byRegion is not null) return _byRegion;
        var registry = cluster[province].Registry;
        var documents = new ProvinceDocuments(registry.Profile);
        var regions = registry.Profile.Districts.Select(d => d.PoolingRegion).Distinct().ToList();
        var people = Enumerable.Reverse(registry.People).Where(p => p.BalanceFen > 0 && p.Periods.Count > 0).ToList();
        return _byRegion = regions
            .Select(region => people.Where(p => p.PoolingRegion == region).Take(RequestsPerRegion)
                .Select(p => new IssueCertificateRequest { Certificate = documents.BuildCertificate(p, null, today) }).ToArray())
            .Where(requests => requests.Length > 0)
            .ToArray();
    }

    private IssueCertificateRequest[] BuildRequests() => ByRegion().SelectMany(r => r).ToArray();

    private IssueCertificateRequest Request(int worker, long n)
    {
        var region = ByRegion()[worker % ByRegion().Length];
        return region[n % region.Length];
    }

    public int RequestBytes => BuildRequests()[0].CalculateSize();

    /// <summary>Certificates are numbered per pooling region: fewer regions, more calls share one sequence row.</summary>
    public int PoolingRegions => ByRegion().Length;

    /// <summary>The regions the province's profile knows (some may have no eligible person in a small registry).</summary>
    public int ProfileRegions => cluster[province].Registry.Profile.Districts.Select(d => d.PoolingRegion).Distinct().Count();

    private EchoHost? _echo;
    private GrpcChannel? _echoChannel;

    /// <summary>The echo host stays up across repeats, so only the first run pays for its start (and that one is warmed up).</summary>
    public async Task<LoadResult> EchoAsync(TimeSpan warmup, CancellationToken ct, TimeSpan? duration = null)
    {
        _echo ??= await EchoHost.StartAsync(ct);
        _echoChannel ??= GrpcChannel.ForAddress(_echo.Address);
        var client = new EchoService.EchoServiceClient(_echoChannel);
        // Same payload size as a certificate request, so the baseline moves the same bytes.
        var message = new EchoMessage { Payload = ByteString.CopyFrom(new byte[RequestBytes]) };
        return await LoadRunner.RunAsync("bare gRPC echo (baseline)", settings.Concurrency, warmup, duration ?? settings.Duration,
            async (_, _, token) => await client.EchoAsync(message, cancellationToken: token), ct);
    }

    public async ValueTask DisposeAsync()
    {
        _echoChannel?.Dispose();
        if (_echo is not null) await _echo.DisposeAsync();
    }

    /// <summary>A new idempotency key every call: lock the key, insert the certificate, store key + response, commit, then Redis.</summary>
    public async Task<LoadResult> IssueCertificateAsync(TimeSpan warmup, CancellationToken ct, TimeSpan? duration = null)
    {
        using var channel = GrpcChannel.ForAddress(cluster[province].Address);
        var client = new TransferService.TransferServiceClient(channel);
        return await LoadRunner.RunAsync("node IssueCertificate (new key)", settings.Concurrency, warmup, duration ?? settings.Duration,
            async (w, n, token) => await client.IssueCertificateAsync(Request(w, n), TransferDriver.Key(), cancellationToken: token), ct);
    }

    /// <summary>The same keys again: answered from the Redis fast path without touching PostgreSQL.</summary>
    public async Task<LoadResult> ReplayAsync(TimeSpan warmup, CancellationToken ct, TimeSpan? duration = null)
    {
        var requests = BuildRequests();
        var keys = requests.Select(_ => Guid.NewGuid().ToString("N")).ToArray();
        using var channel = GrpcChannel.ForAddress(cluster[province].Address);
        var client = new TransferService.TransferServiceClient(channel);
        for (var i = 0; i < requests.Length; i++)
            await client.IssueCertificateAsync(requests[i], TransferDriver.Key(keys[i]), cancellationToken: ct);
        return await LoadRunner.RunAsync("node IssueCertificate (repeated key)", settings.Concurrency, warmup, duration ?? settings.Duration,
            async (_, n, token) =>
            {
                var i = (int)(n % requests.Length);
                await client.IssueCertificateAsync(requests[i], TransferDriver.Key(keys[i]), cancellationToken: token);
            }, ct);
    }

    /// <summary>Reads of transfers that exist (one row plus its timeline and deadlines).</summary>
    public async Task<LoadResult> GetTransferAsync(IReadOnlyList<string> transferIds, string holder, TimeSpan warmup, CancellationToken ct)
    {
        if (transferIds.Count == 0) throw new InvalidOperationException("GetTransfer needs transfers; the end-to-end phase made none.");
        using var channel = GrpcChannel.ForAddress(cluster[holder].Address);
        var client = new TransferService.TransferServiceClient(channel);
        return await LoadRunner.RunAsync("node GetTransfer", settings.Concurrency, warmup, settings.Duration,
            async (_, n, token) => await client.GetTransferAsync(new GetTransferRequest { TransferId = transferIds[(int)(n % transferIds.Count)] },
                cancellationToken: token), ct);
    }
}
