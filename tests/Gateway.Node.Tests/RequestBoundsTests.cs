using System.Diagnostics;
using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.Node.Grpc;
using Gateway.ProvinceSimulator;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;

namespace Gateway.Node.Tests;

/// <summary>The generic bounds every request keeps before any handler runs, against the real cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RequestBoundsTests(ClusterFixture fx)
{
    [Fact]
    public async Task Huge_identifier_is_refused_quickly_and_briefly_and_the_channel_stays_free()
    {
        var client = fx.Driver.Client("51");
        var watch = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.GetTransferAsync(
            new GetTransferRequest { TransferId = new string('7', 64 * 1024) }, deadline: DateTime.UtcNow.AddSeconds(10)).ResponseAsync);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var violation = Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("transfer_id", violation.Field);
        Assert.Equal("at most 64 characters (has 65536)", violation.Description);
        Assert.True(ex.Status.Detail.Length < 1024, $"status message of {ex.Status.Detail.Length} characters");
        var details = ex.Trailers.GetValueBytes("grpc-status-details-bin");
        Assert.True(details is { Length: < 1024 }, $"status details of {details?.Length} bytes");

        // The same channel answers the next call at once.
        var next = await Assert.ThrowsAsync<RpcException>(() => client.GetTransferAsync(
            new GetTransferRequest { TransferId = "51Tnope" }, deadline: DateTime.UtcNow.AddSeconds(5)).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, next.StatusCode);
    }

    [Theory]
    [InlineData("name", 0x0000)]
    [InlineData("name", 0x202E)]
    [InlineData("name", 0xFEFF)]
    [InlineData("address", 0x200B)]
    [InlineData("address", 0x000A)]
    [InlineData("remarks", 0x0000)]
    [InlineData("remarks", 0x202E)]
    [InlineData("reason", 0x001B)]
    public async Task Invisible_or_control_character_is_refused_naming_the_field(string where, int codePoint)
    {
        var c = (char)codePoint;
        var transfersBefore = await fx.CountAsync("51", "SELECT count(*) FROM transfers");

        (string Field, Task Call) target = where switch
        {
            "name" => ("application.person.psn_name", Submit(r => r.Application.Person.PsnName = $"张{c}三")),
            "address" => ("destination_agency.address", Submit(r => r.DestinationAgency.Address = $"四川省成都市{c}人民路1号")),
            "remarks" => ("origin_enrolment.remarks", Answer(new AnswerWorkItemRequest
            {
                ItemId = "15Tnope:check-origin",
                OriginEnrolment = new OriginEnrolmentAnswer { Status = EnrolmentStatus.Suspended, Remarks = $"已中止{c}参保" },
            })),
            "reason" => ("reason", fx.Driver.Client("51").WithdrawTransferAsync(
                new WithdrawTransferRequest { TransferId = "51Tnope", Reason = $"本人{c}申请" }, TransferDriver.Key()).ResponseAsync),
            _ => throw new ArgumentOutOfRangeException(nameof(where)),
        };
        var ex = await Assert.ThrowsAsync<RpcException>(() => target.Call);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var violation = Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal(target.Field, violation.Field);
        Assert.Matches($@"^contains (a control|an invisible format) character \(U\+{codePoint:X4}\) at position \d+$", violation.Description);
        Assert.Equal(transfersBefore, await fx.CountAsync("51", "SELECT count(*) FROM transfers"));
    }

    [Fact]
    public async Task Remarks_far_over_their_bound_are_refused_naming_the_field_and_a_megabyte_never_decoded()
    {
        const int chars = 60_000; // 180 KB of UTF-8: under the 256 KiB body limit, far over the 500 allowed
        var ex = await Assert.ThrowsAsync<RpcException>(() => Answer(new AnswerWorkItemRequest
        {
            ItemId = "15Tnope:check-origin",
            OriginEnrolment = new OriginEnrolmentAnswer { Status = EnrolmentStatus.Suspended, Remarks = new string('备', chars) },
        }));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var violation = Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("origin_enrolment.remarks", violation.Field);
        Assert.Equal($"at most 500 characters (has {chars})", violation.Description);

        var megabyte = await Assert.ThrowsAsync<RpcException>(() => Answer(new AnswerWorkItemRequest
        {
            ItemId = "15Tnope:check-origin",
            OriginEnrolment = new OriginEnrolmentAnswer { Status = EnrolmentStatus.Suspended, Remarks = new string('备', 1_000_000 / 3) },
        }));
        Assert.Equal(StatusCode.ResourceExhausted, megabyte.StatusCode);
    }

    [Fact]
    public async Task Unknown_field_at_the_root_is_refused_with_its_number()
    {
        // transfer_id = "51Tnope", then field 99 (varint 1), which GetTransferRequest does not define.
        var body = new GetTransferRequest { TransferId = "51Tnope" }.ToByteArray().Concat(new byte[] { 0x98, 0x06, 0x01 }).ToArray();

        var ex = await Assert.ThrowsAsync<RpcException>(() => MalformedBodyTests.UnaryAsync(fx.Cluster["51"].Channel, "gateway.transfer.v1.TransferService", "GetTransfer", body));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var violation = Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("99", violation.Field);
        Assert.Equal("field number 99 is not defined by gateway.transfer.v1.GetTransferRequest", violation.Description);
    }

    [Fact]
    public async Task Unknown_field_deep_in_the_request_is_refused_by_its_path()
    {
        var transfersBefore = await fx.CountAsync("51", "SELECT count(*) FROM transfers");
        var call = Submit(r =>
        {
            // A client of a newer schema: person carries field 15 (a string) that this API does not know.
            var extra = r.Application.Person.ToByteArray().Concat(new byte[] { 0x7A, 0x02, 0x6F, 0x6B }).ToArray();
            r.Application.Person = Person.Parser.ParseFrom(extra);
        });

        var ex = await Assert.ThrowsAsync<RpcException>(() => call);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal(["application.person.15"], ErrorDetails.Fields(ex));
        Assert.Equal(transfersBefore, await fx.CountAsync("51", "SELECT count(*) FROM transfers"));
    }

    [Fact]
    public async Task Too_many_information_table_rows_are_refused()
    {
        var table = new InformationTable { IssuedOn = ClusterFixture.Today.ToString("yyyy-MM-dd"), Handler = "张敏", HandlerPhone = "0471-6123456" };
        for (var i = 0; i < RequestBounds.MaxTableRows + 1; i++)
            table.Rows.Add(new EnrolmentPeriod { From = "2010-01", To = "2010-01", Insutype = InsuranceType.Employee, PaidMonths = 1, AgencyName = "呼和浩特市医疗保障事务中心", AgencyAdmdvs = "150100" });

        var ex = await Assert.ThrowsAsync<RpcException>(() => Answer(new AnswerWorkItemRequest
        {
            ItemId = "15Tnope:build-table",
            InformationTable = new InformationTableAnswer { Table = table },
        }));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var violation = Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("information_table.table.rows", violation.Field);
        Assert.Equal("at most 120 entries (has 121)", violation.Description);
    }

    [Fact]
    public async Task Every_row_is_checked_by_its_path_and_at_most_twenty_violations_are_reported()
    {
        var table = new InformationTable();
        for (var i = 0; i < 30; i++) table.Rows.Add(new EnrolmentPeriod { From = "2010-01", To = "2010-01", Remarks = new string('x', 501) });

        var ex = await Assert.ThrowsAsync<RpcException>(() => Answer(new AnswerWorkItemRequest
        {
            ItemId = "15Tnope:build-table",
            InformationTable = new InformationTableAnswer { Table = table },
        }));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var fields = ErrorDetails.Fields(ex);
        Assert.Equal(RequestBounds.MaxViolations, fields.Count);
        Assert.Equal("information_table.table.rows[3].remarks", fields[3]);
    }

    [Theory]
    [InlineData("key\twith-a-tab", "contains a control character (U+0009) at position 3")]
    [InlineData(null, "at most 200 characters (has 201)")]
    public async Task Idempotency_key_out_of_bounds_is_refused_on_any_call(string? key, string description)
    {
        key ??= new string('k', 201);
        var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Driver.Client("51").GetTransferAsync(
            new GetTransferRequest { TransferId = "51Tnope" }, TransferDriver.Key(key), DateTime.UtcNow.AddSeconds(10)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var violation = Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("idempotency-key", violation.Field);
        Assert.Equal(description, violation.Description);
    }

    [Fact]
    public async Task Subscription_out_of_bounds_ends_the_stream_invalid_argument()
    {
        using var call = new WorkItemService.WorkItemServiceClient(fx.Cluster["51"].Channel).SubscribeWorkItems(
            new SubscribeWorkItemsRequest { Subscriber = "clerk\u0000desk" }, deadline: DateTime.UtcNow.AddSeconds(10));

        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal(["subscriber"], ErrorDetails.Fields(ex));
    }

    [Fact]
    public void Simulator_documents_fit_the_bounds()
    {
        // What the simulated clerks send in every other test: all of it must pass unchanged.
        foreach (var (origin, destination) in new[] { ("15", "51"), ("51", "15") })
        {
            var originDocs = new ProvinceDocuments(fx.Cluster[origin].Registry.Profile);
            var destinationDocs = new ProvinceDocuments(fx.Cluster[destination].Registry.Profile);
            foreach (var person in fx.Cluster[origin].Registry.People)
            {
                var certificate = originDocs.BuildCertificate(person, null, ClusterFixture.Today);
                Assert.Empty(RequestBounds.Check(new IssueCertificateRequest { Certificate = certificate }));
                Assert.Empty(RequestBounds.Check(destinationDocs.BuildSubmitApplication(certificate, ClusterFixture.Today)));
                var table = new InformationTable { Person = person.ToProto(), Agency = originDocs.BuildAgency(person.PoolingRegion) };
                table.Rows.AddRange(person.Periods.Select(p => p.ToProto()));
                Assert.Empty(RequestBounds.Check(new AnswerWorkItemRequest { ItemId = $"{origin}T{Guid.NewGuid():N}:build-table", InformationTable = new InformationTableAnswer { Table = table } }));
            }
        }
    }

    private Task<Transfer> Submit(Action<SubmitApplicationRequest> change)
    {
        var person = fx.Cluster["15"].Registry.People[0];
        var certificate = new ProvinceDocuments(fx.Cluster["15"].Registry.Profile).BuildCertificate(person, null, ClusterFixture.Today);
        var request = new ProvinceDocuments(fx.Cluster["51"].Registry.Profile).BuildSubmitApplication(certificate, ClusterFixture.Today);
        change(request);
        return fx.Driver.Client("51").SubmitApplicationAsync(request, TransferDriver.Key(), DateTime.UtcNow.AddSeconds(10)).ResponseAsync;
    }

    private Task<AnswerWorkItemResponse> Answer(AnswerWorkItemRequest request) =>
        new WorkItemService.WorkItemServiceClient(fx.Cluster["15"].Channel)
            .AnswerWorkItemAsync(request, TransferDriver.Key(), DateTime.UtcNow.AddSeconds(10)).ResponseAsync;
}
