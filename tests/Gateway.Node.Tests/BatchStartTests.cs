using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Google.Rpc;
using Grpc.Core;

namespace Gateway.Node.Tests;

/// <summary>The batch start calls against the real two-province cluster: per-entry results, idempotency per entry key.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BatchStartTests(ClusterFixture fx)
{
    private ProvinceDocuments Docs(string province) => new(fx.Cluster[province].Registry.Profile);

    private static IssueCertificatesRequest.Types.Entry Entry(string key, Certificate certificate) =>
        new() { IdempotencyKey = key, Request = new IssueCertificateRequest { Certificate = certificate } };

    private static IReadOnlyList<string> Fields(Google.Rpc.Status status) =>
        status.GetDetail<BadRequest>()?.FieldViolations.Select(v => v.Field).ToList() ?? [];

    [Fact]
    public async Task Mixed_entries_get_their_own_results_and_the_bad_ones_change_nothing()
    {
        var people = Enumerable.Range(0, 4).Select(_ => fx.Driver.PickPerson("15", EnrolmentState.Suspended)).ToList();
        var docs = Docs("15");
        // Well formed, but 51's: node 15 does not act for province 51.
        var wrongProvince = Docs("51").BuildCertificate(fx.Cluster["51"].Registry.People[0], null, ClusterFixture.Today);
        var keys = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid().ToString("N")).ToList();
        var request = new IssueCertificatesRequest
        {
            Entries =
            {
                Entry(keys[0], docs.BuildCertificate(people[0], null, ClusterFixture.Today)),
                Entry(keys[1], wrongProvince),
                Entry(keys[2], docs.BuildCertificate(people[2], null, ClusterFixture.Today)),
                Entry("", docs.BuildCertificate(people[3], null, ClusterFixture.Today)),
            }
        };

        var response = await fx.Driver.Client("15").IssueCertificatesAsync(request);

        Assert.Equal(4, response.Results.Count);
        Assert.False(string.IsNullOrEmpty(response.Results[0].Certificate?.Number));
        Assert.Equal((int)Code.PermissionDenied, response.Results[1].Error.Code);
        Assert.Equal("certificate.insuplc_admdvs", response.Results[1].Error.Details.Single(d => d.Is(ErrorInfo.Descriptor)).Unpack<ErrorInfo>().Metadata["field"]);
        Assert.False(string.IsNullOrEmpty(response.Results[2].Certificate?.Number));
        Assert.Equal((int)Code.InvalidArgument, response.Results[3].Error.Code);
        Assert.Contains("entries[3].idempotency_key", Fields(response.Results[3].Error));
        Assert.NotEqual(response.Results[0].Certificate.Number, response.Results[2].Certificate.Number);
        foreach (var (person, expected) in people.Zip(new[] { 1, 0, 1, 0 }))
            Assert.Equal(expected, await fx.CountAsync("15", "SELECT count(*) FROM certificates WHERE certno = @c", ("c", person.IdentityNumber)));
        Assert.Equal(0, await fx.CountAsync("15", "SELECT count(*) FROM idempotency_keys WHERE key = @k", ("k", keys[1])));
    }

    [Fact]
    public async Task The_same_batch_again_returns_the_same_results_and_acts_once()
    {
        var certificates = new List<Certificate>();
        for (var i = 0; i < 3; i++)
            certificates.Add(await fx.Driver.IssueCertificateAsync("15", fx.Driver.PickPerson("15", EnrolmentState.Suspended), ClusterFixture.Today));
        var requests = certificates.Select(c => fx.Driver.BuildApplication("51", c, ClusterFixture.Today)).ToList();
        requests[1].DestinationAccount = null; // bad input: the origin would not know where to send the balance
        var keys = requests.Select(_ => Guid.NewGuid().ToString("N")).ToList();

        var first = await fx.Driver.SubmitManyAsync("51", requests, keys);
        var again = await fx.Driver.SubmitManyAsync("51", requests, keys);

        Assert.Equal(first.Results[0], again.Results[0]);
        Assert.Equal(first.Results[2], again.Results[2]);
        Assert.Equal(SubmitApplicationsResponse.Types.Result.OutcomeOneofCase.Transfer, first.Results[0].OutcomeCase);
        Assert.Equal((int)Code.InvalidArgument, first.Results[1].Error.Code);
        Assert.Equal((int)Code.InvalidArgument, again.Results[1].Error.Code);
        Assert.Contains("destination_account", Fields(first.Results[1].Error));
        foreach (var (certificate, expected) in certificates.Zip(new[] { 1, 0, 1 }))
        {
            Assert.Equal(expected, await fx.CountAsync("51", "SELECT count(*) FROM transfers WHERE certificate_number = @n", ("n", certificate.Number)));
            Assert.Equal(expected, await fx.CountAsync("51",
                "SELECT count(*) FROM outbox o JOIN transfers t ON t.transfer_id = o.correlation_id WHERE t.certificate_number = @n AND o.message_type = 'ContactLetterSent'",
                ("n", certificate.Number)));
        }
    }

    [Fact]
    public async Task A_key_used_in_a_batch_replays_through_the_unary_call_and_a_unary_key_through_a_batch()
    {
        var docs = Docs("15");
        var client = fx.Driver.Client("15");
        var batchRequest = new IssueCertificateRequest { Certificate = docs.BuildCertificate(fx.Driver.PickPerson("15", EnrolmentState.Suspended), null, ClusterFixture.Today) };
        var unaryRequest = new IssueCertificateRequest { Certificate = docs.BuildCertificate(fx.Driver.PickPerson("15", EnrolmentState.Suspended), null, ClusterFixture.Today) };
        var (batchKey, unaryKey) = (Guid.NewGuid().ToString("N"), Guid.NewGuid().ToString("N"));

        var fromBatch = (await client.IssueCertificatesAsync(new IssueCertificatesRequest
        {
            Entries = { new IssueCertificatesRequest.Types.Entry { IdempotencyKey = batchKey, Request = batchRequest } }
        })).Results[0].Certificate;
        var replayedByUnary = await client.IssueCertificateAsync(batchRequest, TransferDriver.Key(batchKey));
        var fromUnary = await client.IssueCertificateAsync(unaryRequest, TransferDriver.Key(unaryKey));
        var replayedByBatch = (await client.IssueCertificatesAsync(new IssueCertificatesRequest
        {
            Entries = { new IssueCertificatesRequest.Types.Entry { IdempotencyKey = unaryKey, Request = unaryRequest } }
        })).Results[0].Certificate;
        var reused = await Assert.ThrowsAsync<RpcException>(() => client.IssueCertificateAsync(unaryRequest, TransferDriver.Key(batchKey)).ResponseAsync);

        Assert.Equal(fromBatch, replayedByUnary);
        Assert.Equal(fromUnary, replayedByBatch);
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", ErrorDetails.Reason(reused));
        Assert.Equal(1, await fx.CountAsync("15", "SELECT count(*) FROM certificates WHERE certno = @c", ("c", batchRequest.Certificate.Person.Certno)));
        Assert.Equal(1, await fx.CountAsync("15", "SELECT count(*) FROM certificates WHERE certno = @c", ("c", unaryRequest.Certificate.Person.Certno)));
    }

    [Fact]
    public async Task Entries_that_repeat_a_key_in_one_batch_act_once_and_a_different_request_under_it_is_refused()
    {
        var docs = Docs("15");
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var certificate = docs.BuildCertificate(person, null, ClusterFixture.Today);
        var changed = certificate.Clone();
        changed.AccountBalanceFen += 1;
        var key = Guid.NewGuid().ToString("N");

        var response = await fx.Driver.Client("15").IssueCertificatesAsync(new IssueCertificatesRequest
        {
            Entries = { Entry(key, certificate), Entry(key, certificate), Entry(key, changed) }
        });

        Assert.Equal(response.Results[0].Certificate, response.Results[1].Certificate);
        Assert.Equal((int)Code.FailedPrecondition, response.Results[2].Error.Code);
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", response.Results[2].Error.GetDetail<ErrorInfo>()?.Reason);
        Assert.Equal(1, await fx.CountAsync("15", "SELECT count(*) FROM certificates WHERE certno = @c", ("c", person.IdentityNumber)));
    }

    [Fact]
    public async Task An_empty_or_oversized_batch_is_invalid_and_changes_nothing()
    {
        var client = fx.Driver.Client("15");
        var empty = await Assert.ThrowsAsync<RpcException>(() => client.IssueCertificatesAsync(new IssueCertificatesRequest()).ResponseAsync);
        var docs = Docs("15");
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var tooMany = new IssueCertificatesRequest();
        tooMany.Entries.AddRange(Enumerable.Range(0, 101).Select(_ => Entry(Guid.NewGuid().ToString("N"), docs.BuildCertificate(person, null, ClusterFixture.Today))));
        var oversized = await Assert.ThrowsAsync<RpcException>(() => client.IssueCertificatesAsync(tooMany).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.Contains("entries", ErrorDetails.Fields(empty));
        Assert.Equal(StatusCode.InvalidArgument, oversized.StatusCode);
        Assert.Contains("entries", ErrorDetails.Fields(oversized));
        Assert.Equal(0, await fx.CountAsync("15", "SELECT count(*) FROM certificates WHERE certno = @c", ("c", person.IdentityNumber)));
    }

    [Fact]
    public async Task Transfers_started_through_the_batch_calls_complete_on_both_sides()
    {
        var people = Enumerable.Range(0, 3).Select(_ => fx.Driver.PickPerson("15", EnrolmentState.Suspended)).ToList();
        var issued = await fx.Driver.IssueManyAsync("15", people, ClusterFixture.Today);
        Assert.All(issued.Results, r => Assert.Equal(IssueCertificatesResponse.Types.Result.OutcomeOneofCase.Certificate, r.OutcomeCase));

        var submitted = await fx.Driver.SubmitManyAsync("51",
            issued.Results.Select(r => fx.Driver.BuildApplication("51", r.Certificate, ClusterFixture.Today)).ToList());
        Assert.All(submitted.Results, r => Assert.Equal(SubmitApplicationsResponse.Types.Result.OutcomeOneofCase.Transfer, r.OutcomeCase));

        foreach (var transfer in submitted.Results.Select(r => r.Transfer))
        {
            var destination = await fx.Driver.WaitForStateAsync("51", transfer.TransferId, TimeSpan.FromSeconds(60), TransferState.Completed);
            var origin = await fx.Driver.WaitForStateAsync("15", transfer.TransferId, TimeSpan.FromSeconds(60), TransferState.Acknowledged);
            Assert.Equal(destination.TransferId, origin.TransferId);
        }
    }
}
