using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.Harness.BadInput;
using Gateway.ProvinceSimulator;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Gateway.Node.Tests;

/// <summary>
/// Bodies that do not decode are refused INVALID_ARGUMENT (not UNKNOWN) before any handler, naming the
/// message they should have been, and the node keeps serving. Sent as raw bytes, as a broken client would.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class MalformedBodyTests(ClusterFixture fx)
{
    private const string Transfers = "gateway.transfer.v1.TransferService";
    private const string WorkItems = "gateway.transfer.v1.WorkItemService";
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);

    public static TheoryData<string> Cases => ["truncated", "truncated-application", "invalid-utf8", "nested-200", "nested-200-in-field"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Undecodable_body_is_an_invalid_argument_and_the_node_keeps_serving(string kind)
    {
        var (method, body, message) = Body(kind);

        var ex = await Assert.ThrowsAsync<RpcException>(() => UnaryAsync(fx.Cluster["51"].Channel, Transfers, method, body));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var violation = Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("body", violation.Field);
        Assert.StartsWith($"the request body is not a valid gateway.transfer.v1.{message}: ", violation.Description);
        await AssertServingAsync(fx.Cluster["51"].Channel);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Random_garbage_is_an_invalid_argument(int seed)
    {
        var garbage = new byte[512];
        new Random(seed).NextBytes(garbage);

        // Whether it fails to decode or decodes into fields the API does not define, it is the caller's fault.
        var ex = await Assert.ThrowsAsync<RpcException>(() => UnaryAsync(fx.Cluster["51"].Channel, Transfers, "ListTransfers", garbage));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.NotEmpty(ErrorDetails.Fields(ex));
        await AssertServingAsync(fx.Cluster["51"].Channel);
    }

    [Fact]
    public async Task Invalid_utf8_names_the_reason_without_echoing_the_bytes()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => UnaryAsync(fx.Cluster["51"].Channel, Transfers, "GetTransfer", [0x0A, 0x04, 0x35, 0x31, 0xC3, 0x28]));
        var description = ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations[0].Description;
        Assert.Equal("the request body is not a valid gateway.transfer.v1.GetTransferRequest: a string field is not valid UTF-8", description);
    }

    [Fact]
    public async Task Undecodable_work_item_answer_is_an_invalid_argument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => UnaryAsync(fx.Cluster["15"].Channel, WorkItems, "AnswerWorkItem", [0x0A, 0x7F, 0x31], TransferDriver.Key()));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal(["body"], ErrorDetails.Fields(ex));
        await AssertServingAsync(fx.Cluster["15"].Channel);
    }

    [Fact]
    public async Task Undecodable_subscription_ends_the_stream_invalid_argument()
    {
        var method = new Method<byte[], byte[]>(MethodType.ServerStreaming, WorkItems, "SubscribeWorkItems", Raw, Raw);
        using var call = fx.Cluster["51"].Channel.CreateCallInvoker()
            .AsyncServerStreamingCall(method, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), Nested(200));

        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var violation = Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations);
        Assert.StartsWith("the request body is not a valid gateway.transfer.v1.SubscribeWorkItemsRequest: ", violation.Description);
        await AssertServingAsync(fx.Cluster["51"].Channel);
    }

    [Fact]
    public async Task Body_over_the_receive_limit_is_refused_resource_exhausted()
    {
        var body = new GetTransferRequest { TransferId = new string('7', 2 * 1024 * 1024) }.ToByteArray();

        var ex = await Assert.ThrowsAsync<RpcException>(() => UnaryAsync(fx.Cluster["51"].Channel, Transfers, "GetTransfer", body));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Contains("exceeds the maximum configured message size", ex.Status.Detail);
        await AssertServingAsync(fx.Cluster["51"].Channel);
    }

    private (string Method, byte[] Body, string Message) Body(string kind)
    {
        switch (kind)
        {
            case "truncated":
                // transfer_id claims 16 bytes, two follow.
                return ("GetTransfer", [0x0A, 0x10, 0x35, 0x31], "GetTransferRequest");
            case "truncated-application":
                var bytes = Application().ToByteArray();
                return ("SubmitApplication", bytes[..(bytes.Length / 2)], "SubmitApplicationRequest");
            case "invalid-utf8":
                // transfer_id = "51" + 0xFF 0xFE: not UTF-8.
                return ("GetTransfer", [0x0A, 0x04, 0x35, 0x31, 0xFF, 0xFE], "GetTransferRequest");
            case "nested-200":
                return ("GetTransfer", Nested(200), "GetTransferRequest");
            case "nested-200-in-field":
                // Deep groups inside application.person, after a valid prefix.
                var person = Nested(200);
                var application = Concat([0x1A], Varint(person.Length), person);
                return ("SubmitApplication", Concat([0x0A], Varint(application.Length), application), "SubmitApplicationRequest");
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private SubmitApplicationRequest Application()
    {
        var person = fx.Cluster["15"].Registry.People[0];
        var certificate = new ProvinceDocuments(fx.Cluster["15"].Registry.Profile).BuildCertificate(person, null, ClusterFixture.Today);
        return new ProvinceDocuments(fx.Cluster["51"].Registry.Profile).BuildSubmitApplication(certificate, ClusterFixture.Today);
    }

    // The shapes are the bad-input run's (Gateway.Harness.BadInput.HostileBodies), so both send the same bytes.
    private static byte[] Nested(int depth) => HostileBodies.Nested(depth);

    private static byte[] Varint(int value) => HostileBodies.Varint(value);

    private static byte[] Concat(params byte[][] parts) => HostileBodies.Concat(parts);

    internal static Task<byte[]> UnaryAsync(GrpcChannel channel, string service, string method, byte[] body, Metadata? headers = null) =>
        channel.CreateCallInvoker().AsyncUnaryCall(new Method<byte[], byte[]>(MethodType.Unary, service, method, Raw, Raw), null,
            new CallOptions(headers, DateTime.UtcNow.AddSeconds(10)), body).ResponseAsync;

    internal static async Task AssertServingAsync(GrpcChannel channel)
    {
        var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }
}
