using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Grpc.Core;

namespace Gateway.Node.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ValidationTests(ClusterFixture fx)
{
    [Fact]
    public async Task Bad_application_is_refused_naming_every_bad_field_and_changes_nothing()
    {
        var certificate = await fx.Driver.IssueCertificateAsync("15", fx.Driver.PickPerson("15", EnrolmentState.Suspended), ClusterFixture.Today);
        var request = fx.Driver.BuildApplication("51", certificate, ClusterFixture.Today);
        request.Application.Person.Certno = "110101199003070000";          // wrong check character
        request.Application.Person.Phone = "call me";                      // not a phone number
        request.DestinationAccount.AccountNumber = "";                      // required
        request.Certificate.EnrolledFrom = "2024-13";                       // no such month
        var before = await fx.CountAsync("51", "SELECT count(*) FROM transfers");

        var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Driver.Client("51").SubmitApplicationAsync(request, TransferDriver.Key()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var fields = ErrorDetails.Fields(ex);
        Assert.Contains("application.person.certno", fields);
        Assert.Contains("application.person.phone", fields);
        Assert.Contains("destination_account.account_number", fields);
        Assert.Contains("certificate.enrolled_from", fields);
        Assert.Equal(before, await fx.CountAsync("51", "SELECT count(*) FROM transfers"));
        Assert.Equal(0, await fx.CountAsync("51", "SELECT count(*) FROM outbox WHERE message_type = 'ContactLetterSent' AND correlation_id NOT IN (SELECT transfer_id FROM transfers)"));
    }

    [Fact]
    public async Task Certificate_older_than_three_months_is_refused()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var certificate = await fx.Driver.IssueCertificateAsync("15", person, ClusterFixture.Today.AddMonths(-4));
        var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Driver.SubmitAsync("51", certificate, ClusterFixture.Today));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("certificate.issued_on", ErrorDetails.Fields(ex));
    }

    [Fact]
    public async Task Application_from_the_nodes_own_province_is_refused()
    {
        var person = fx.Driver.PickPerson("51", EnrolmentState.Suspended);
        var certificate = await fx.Driver.IssueCertificateAsync("51", person, ClusterFixture.Today);
        var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Driver.SubmitAsync("51", certificate, ClusterFixture.Today));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("certificate.insuplc_admdvs", ErrorDetails.Fields(ex));
    }

    [Fact]
    public async Task Certificate_for_another_province_is_refused_by_the_issuing_node()
    {
        var person = fx.Cluster["51"].Registry.People[0];
        var docs = new ProvinceDocuments(fx.Cluster["51"].Registry.Profile);
        var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Driver.Client("15")
            .IssueCertificateAsync(new IssueCertificateRequest { Certificate = docs.BuildCertificate(person, null, ClusterFixture.Today) }, TransferDriver.Key()).ResponseAsync);
        ErrorDetails.AssertNotThisProvince(ex, "certificate.insuplc_admdvs");
    }

    [Fact]
    public async Task Unknown_transfer_is_not_found()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Driver.Client("51").GetTransferAsync(new GetTransferRequest { TransferId = "51Tnope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Theory]
    [InlineData("2026/01/01")]
    [InlineData("tomorrow")]
    public async Task Malformed_acceptance_date_is_an_invalid_argument(string acceptedOn)
    {
        var certificate = await fx.Driver.IssueCertificateAsync("15", fx.Driver.PickPerson("15", EnrolmentState.Suspended), ClusterFixture.Today);
        var request = fx.Driver.BuildApplication("51", certificate, ClusterFixture.Today);
        request.AcceptedOn = acceptedOn;
        var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Driver.Client("51").SubmitApplicationAsync(request, TransferDriver.Key()).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("accepted_on", ErrorDetails.Fields(ex));
    }

    [Fact]
    public async Task Acceptance_date_in_the_future_is_refused()
    {
        var certificate = await fx.Driver.IssueCertificateAsync("15", fx.Driver.PickPerson("15", EnrolmentState.Suspended), ClusterFixture.Today);
        var request = fx.Driver.BuildApplication("51", certificate, ClusterFixture.Today);
        request.AcceptedOn = ClusterFixture.Today.AddDays(3).ToString("yyyy-MM-dd");
        var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Driver.Client("51").SubmitApplicationAsync(request, TransferDriver.Key()).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("accepted_on", ErrorDetails.Fields(ex));
    }
}
