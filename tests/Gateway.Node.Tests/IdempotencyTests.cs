using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Grpc.Core;

namespace Gateway.Node.Tests;

[Collection(ClusterCollection.Name)]
public sealed class IdempotencyTests(ClusterFixture fx)
{
    [Fact]
    public async Task Same_key_and_same_request_acts_once_and_returns_the_first_response()
    {
        var certificate = await fx.Driver.IssueCertificateAsync("15", fx.Driver.PickPerson("15", EnrolmentState.Suspended), ClusterFixture.Today);
        var request = fx.Driver.BuildApplication("51", certificate, ClusterFixture.Today);
        var key = Guid.NewGuid().ToString("N");

        var first = await fx.Driver.Client("51").SubmitApplicationAsync(request, TransferDriver.Key(key));
        var second = await fx.Driver.Client("51").SubmitApplicationAsync(request, TransferDriver.Key(key));

        Assert.Equal(first.TransferId, second.TransferId);
        Assert.Equal(first, second);
        Assert.Equal(1, await fx.CountAsync("51", "SELECT count(*) FROM transfers WHERE certificate_number = @n", ("n", certificate.Number)));
        Assert.Equal(1, await fx.CountAsync("51", "SELECT count(*) FROM outbox WHERE correlation_id = @id AND message_type = 'ContactLetterSent'", ("id", first.TransferId)));
    }

    [Fact]
    public async Task Same_key_with_a_different_request_is_refused_and_changes_nothing()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var docs = new ProvinceDocuments(fx.Cluster["15"].Registry.Profile);
        var key = Guid.NewGuid().ToString("N");
        var client = fx.Driver.Client("15");
        var first = await client.IssueCertificateAsync(new IssueCertificateRequest { Certificate = docs.BuildCertificate(person, null, ClusterFixture.Today) }, TransferDriver.Key(key));

        var changed = docs.BuildCertificate(person, null, ClusterFixture.Today);
        changed.AccountBalanceFen += 1;
        var ex = await Assert.ThrowsAsync<RpcException>(() => client.IssueCertificateAsync(new IssueCertificateRequest { Certificate = changed }, TransferDriver.Key(key)).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", ErrorDetails.Reason(ex));
        Assert.Equal(1, await fx.CountAsync("15", "SELECT count(*) FROM certificates WHERE certno = @c", ("c", person.IdentityNumber)));
        Assert.False(string.IsNullOrEmpty(first.Number));
    }

    [Fact]
    public async Task A_mutating_call_without_a_key_is_refused_as_invalid()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var docs = new ProvinceDocuments(fx.Cluster["15"].Registry.Profile);
        var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Driver.Client("15")
            .IssueCertificateAsync(new IssueCertificateRequest { Certificate = docs.BuildCertificate(person, null, ClusterFixture.Today) }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("idempotency-key", ErrorDetails.Fields(ex));
    }

    [Fact]
    public async Task Concurrent_calls_with_one_key_act_once()
    {
        var certificate = await fx.Driver.IssueCertificateAsync("15", fx.Driver.PickPerson("15", EnrolmentState.Suspended), ClusterFixture.Today);
        var request = fx.Driver.BuildApplication("51", certificate, ClusterFixture.Today);
        var key = Guid.NewGuid().ToString("N");
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            fx.Driver.Client("51").SubmitApplicationAsync(request, TransferDriver.Key(key)).ResponseAsync));
        Assert.Single(results.Select(r => r.TransferId).Distinct());
        Assert.Equal(1, await fx.CountAsync("51", "SELECT count(*) FROM transfers WHERE certificate_number = @n", ("n", certificate.Number)));
    }
}
