using Gateway.Contracts.Ops.V1;
using Gateway.Contracts.Sync.V1;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Gateway.Harness.Tests.BadInput;

/// <summary>What the bad-input run found in the node: each answered INTERNAL or acted on bad input before its fix.</summary>
[Collection(BadInputCollection.Name)]
public sealed class NodeFixRegressionTests(BadInputClusterFixture fx)
{
    private OpsService.OpsServiceClient Ops => new(fx.Cluster["15"].Channel);

    private static IReadOnlyList<string> Fields(RpcException ex) =>
        ex.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations.Select(v => v.Field).ToList() ?? [];

    private static TimeRange Range(int fromNanos = 0, long toSeconds = 0) => new()
    {
        From = new Timestamp { Seconds = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds(), Nanos = fromNanos },
        To = new Timestamp { Seconds = toSeconds == 0 ? DateTimeOffset.UtcNow.ToUnixTimeSeconds() : toSeconds },
    };

    public static TheoryData<int, long, string> BadTimes => new()
    {
        { 1_000_000_000, 0, "created.from" },
        { -1, 0, "created.from" },
        { 0, long.MaxValue, "created.to" },
    };

    [Theory]
    [MemberData(nameof(BadTimes))]
    public async Task A_time_range_with_an_impossible_timestamp_is_invalid_argument_not_internal(int fromNanos, long toSeconds, string field)
    {
        var resend = await Assert.ThrowsAsync<RpcException>(() => Ops.ResendFailedAsync(new ResendFailedRequest
        {
            Created = Range(fromNanos, toSeconds), Operator = "ops-1", Reason = "regression",
        }, TransferDriver.Key()).ResponseAsync);
        var job = await Assert.ThrowsAsync<RpcException>(() => Ops.StartResendJobAsync(new StartResendJobRequest
        {
            Created = Range(fromNanos, toSeconds), PerSecond = 5, Operator = "ops-1", Reason = "regression",
        }, TransferDriver.Key()).ResponseAsync);
        var list = await Assert.ThrowsAsync<RpcException>(() => Ops.ListExchangesAsync(new ListExchangesRequest
        {
            Condition = Condition.Failed, Created = Range(fromNanos, toSeconds),
        }).ResponseAsync);

        foreach (var ex in new[] { resend, job, list })
        {
            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            Assert.Contains(field, Fields(ex));
        }
    }

    [Fact]
    public async Task A_backfill_naming_more_than_64_owners_is_refused_even_when_they_repeat()
    {
        var request = new StartBackfillRequest { Kinds = { "filing" }, Reason = "regression" };
        request.OwnerProvinces.AddRange(Enumerable.Repeat("15", 65));

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            new BackfillService.BackfillServiceClient(fx.Cluster["51"].Channel).StartBackfillAsync(request, TransferDriver.Key()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal(["owner_provinces"], Fields(ex));
    }
}
