using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Google.Rpc;
using Grpc.Core;
using Npgsql;

namespace Gateway.Node.Tests;

/// <summary>A node admitting two mutating calls at once, refusing the rest at once (no admission wait).</summary>
public sealed class AdmissionTests : IAsyncLifetime
{
    private GatewayCluster _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = ["15"],
            PeoplePerProvince = 200,
            StartSimulators = false,
            NodeSettings = new Dictionary<string, string> { ["Gateway:MaxConcurrentCalls"] = "2", ["Gateway:AdmissionWait"] = "00:00:00" },
        });

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Calls_over_the_bound_are_refused_with_retry_info_and_only_the_admitted_ones_take_effect()
    {
        var driver = new TransferDriver(_cluster);
        var docs = new ProvinceDocuments(_cluster["15"].Registry.Profile);
        var client = driver.Client("15");
        var outcomes = new List<(SyntheticPerson Person, IssueCertificateRequest Request, string Key, Certificate? Issued, RpcException? Error)>();
        // Waves until one was refused; every wave is far beyond two concurrent calls.
        for (var wave = 0; wave < 4 && !outcomes.Any(o => o.Error is not null); wave++)
        {
            var calls = Enumerable.Range(0, 40).Select(_ => driver.PickPerson("15", EnrolmentState.Suspended)).Select(async person =>
            {
                var request = new IssueCertificateRequest { Certificate = docs.BuildCertificate(person, null, TransferDriver.Today) };
                var key = Guid.NewGuid().ToString("N");
                try { return (person, request, key, await client.IssueCertificateAsync(request, TransferDriver.Key(key)), (RpcException?)null); }
                catch (RpcException ex) { return (person, request, key, (Certificate?)null, ex); }
            });
            outcomes.AddRange(await Task.WhenAll(calls));
        }

        var refused = outcomes.Where(o => o.Error is not null).ToList();
        Assert.NotEmpty(refused);
        Assert.Contains(outcomes, o => o.Issued is not null);
        foreach (var (_, _, _, _, error) in refused)
        {
            Assert.Equal(StatusCode.ResourceExhausted, error!.StatusCode);
            var retry = error.GetRpcStatus()?.GetDetail<RetryInfo>();
            Assert.NotNull(retry);
            Assert.True(retry.RetryDelay.ToTimeSpan() > TimeSpan.Zero);
            Assert.Contains("not applied", error.Status.Detail);
        }
        await using var conn = new NpgsqlConnection(_cluster["15"].ConnectionString);
        await conn.OpenAsync();
        foreach (var (person, _, _, issued, _) in outcomes)
        {
            await using var cmd = new NpgsqlCommand("SELECT count(*) FROM certificates WHERE certno = @c", conn);
            cmd.Parameters.AddWithValue("c", person.IdentityNumber);
            Assert.Equal(issued is null ? 0L : 1L, Convert.ToInt64(await cmd.ExecuteScalarAsync()));
        }

        // A refused call retried with its key once the crowd is gone takes effect then, once.
        var (retriedPerson, retriedRequest, retriedKey, _, _) = refused[0];
        var retried = await client.IssueCertificateAsync(retriedRequest, TransferDriver.Key(retriedKey));
        var again = await client.IssueCertificateAsync(retriedRequest, TransferDriver.Key(retriedKey));
        Assert.Equal(retried, again);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM certificates WHERE certno = @c", conn);
        count.Parameters.AddWithValue("c", retriedPerson.IdentityNumber);
        Assert.Equal(1L, Convert.ToInt64(await count.ExecuteScalarAsync()));
    }
}
