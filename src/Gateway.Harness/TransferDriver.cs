using Gateway.Contracts.Transfer.V1;
using Gateway.ProvinceSimulator;
using Grpc.Core;

namespace Gateway.Harness;

/// <summary>Drives transfers the way province clerks would: certificate at the origin, application at the destination.</summary>
public sealed class TransferDriver(GatewayCluster cluster)
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>Today's business date in China, as a province clerk would write it.</summary>
    public static DateOnly Today => Gateway.Domain.Calendar.ChinaTime.DateOf(DateTimeOffset.UtcNow);

    public static Metadata Key(string? key = null) => new() { { "idempotency-key", key ?? Guid.NewGuid().ToString("N") } };

    public TransferService.TransferServiceClient Client(string province) => new(cluster[province].Channel);

    /// <summary>A person of <paramref name="province"/> not used by this driver yet, set to <paramref name="status"/> with a positive balance.</summary>
    public SyntheticPerson PickPerson(string province, EnrolmentState status)
    {
        var registry = cluster[province].Registry;
        lock (_gate)
        {
            var person = registry.People.First(p => p.BalanceFen > 0 && p.Periods.Count > 0 && _used.Add(p.IdentityNumber));
            return registry.SetStatus(person.IdentityNumber, status);
        }
    }

    public async Task<Certificate> IssueCertificateAsync(string origin, SyntheticPerson person, DateOnly issuedOn, CancellationToken ct = default)
    {
        var docs = new ProvinceDocuments(cluster[origin].Registry.Profile);
        var certificate = docs.BuildCertificate(person, null, issuedOn);
        var key = Key();
        return await WhileBusyAsync(() => Client(origin).IssueCertificateAsync(new IssueCertificateRequest { Certificate = certificate }, key,
            DateTime.UtcNow.AddSeconds(30), ct).ResponseAsync, ct);
    }

    /// <summary>
    /// As a well-behaved province system does: a call the node refused as busy (RESOURCE_EXHAUSTED, reason NODE_BUSY)
    /// is sent again with the same idempotency key after the delay its RetryInfo names.
    /// </summary>
    public static async Task<T> WhileBusyAsync<T>(Func<Task<T>> call, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted && attempt < 20
                                          && ex.GetRpcStatus()?.GetDetail<Google.Rpc.RetryInfo>() is { } retry)
            {
                var delay = retry.RetryDelay?.ToTimeSpan() ?? TimeSpan.FromMilliseconds(100);
                await Task.Delay(delay < TimeSpan.FromMilliseconds(20) ? TimeSpan.FromMilliseconds(20) : delay, ct);
            }
        }
    }

    public SubmitApplicationRequest BuildApplication(string destination, Certificate certificate, DateOnly acceptedOn)
    {
        var docs = new ProvinceDocuments(cluster[destination].Registry.Profile);
        var request = docs.BuildSubmitApplication(certificate, acceptedOn);
        request.Application.Number = ""; // the destination node numbers it
        return request;
    }

    public async Task<Transfer> SubmitAsync(string destination, Certificate certificate, DateOnly acceptedOn, CancellationToken ct = default)
    {
        var (request, key) = (BuildApplication(destination, certificate, acceptedOn), Key());
        return await WhileBusyAsync(() => Client(destination).SubmitApplicationAsync(request, key, DateTime.UtcNow.AddSeconds(30), ct).ResponseAsync, ct);
    }

    /// <summary>Certificates for many people in one IssueCertificates call, an entry and a new key per person.</summary>
    public async Task<IssueCertificatesResponse> IssueManyAsync(string origin, IEnumerable<SyntheticPerson> people, DateOnly issuedOn, CancellationToken ct = default)
    {
        var docs = new ProvinceDocuments(cluster[origin].Registry.Profile);
        var request = new IssueCertificatesRequest();
        request.Entries.AddRange(people.Select(p => new IssueCertificatesRequest.Types.Entry
        {
            IdempotencyKey = Guid.NewGuid().ToString("N"),
            Request = new IssueCertificateRequest { Certificate = docs.BuildCertificate(p, null, issuedOn) },
        }));
        return await WhileBusyAsync(() => Client(origin).IssueCertificatesAsync(request, deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: ct).ResponseAsync, ct);
    }

    /// <summary>
    /// Many applications in one SubmitApplications call. <paramref name="keys"/> gives each entry's idempotency key
    /// (a new one per entry when null), so a test can send the same batch again.
    /// </summary>
    public async Task<SubmitApplicationsResponse> SubmitManyAsync(string destination, IReadOnlyList<SubmitApplicationRequest> requests,
        IReadOnlyList<string>? keys = null, CancellationToken ct = default)
    {
        var batch = new SubmitApplicationsRequest();
        batch.Entries.AddRange(requests.Select((r, i) => new SubmitApplicationsRequest.Types.Entry
        {
            IdempotencyKey = keys?[i] ?? Guid.NewGuid().ToString("N"),
            Request = r,
        }));
        return await WhileBusyAsync(() => Client(destination).SubmitApplicationsAsync(batch, deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: ct).ResponseAsync, ct);
    }

    /// <summary>Polls the node until its copy of the transfer is in one of <paramref name="states"/>.</summary>
    public async Task<Transfer> WaitForStateAsync(string province, string transferId, TimeSpan timeout, params TransferState[] states)
    {
        var until = DateTime.UtcNow + timeout;
        Transfer? last = null;
        while (DateTime.UtcNow < until)
        {
            try
            {
                last = await Client(province).GetTransferAsync(new GetTransferRequest { TransferId = transferId }, deadline: DateTime.UtcNow.AddSeconds(5));
                if (states.Contains(last.State)) return last;
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.Unavailable or StatusCode.DeadlineExceeded) { }
            await Task.Delay(50);
        }
        throw new TimeoutException($"Transfer {transferId} at node {province} did not reach {string.Join("/", states)} within {timeout} (last: {last?.State.ToString() ?? "not found"}).");
    }

    /// <summary>Certificate → application → wait for both sides to end. Returns (destination view, origin view).</summary>
    public async Task<(Transfer Destination, Transfer Origin)> RunAsync(string origin, string destination, SyntheticPerson person,
        DateOnly on, TimeSpan timeout, CancellationToken ct = default)
    {
        var certificate = await IssueCertificateAsync(origin, person, on, ct);
        var accepted = await SubmitAsync(destination, certificate, on, ct);
        var dest = await WaitForStateAsync(destination, accepted.TransferId, timeout,
            TransferState.Completed, TransferState.LetterReturned, TransferState.Withdrawn);
        var finalOrigin = dest.State == TransferState.Completed ? TransferState.Acknowledged : dest.State;
        var orig = await WaitForStateAsync(origin, accepted.TransferId, timeout, finalOrigin);
        return (dest, orig);
    }
}
