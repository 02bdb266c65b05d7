using CsCheck;
using Gateway.Contracts.Ops.V1;
using Gateway.Harness;
using Grpc.Core;
using Npgsql;

namespace Gateway.Node.Tests;

/// <summary>
/// Generated bad operator actions: a missing or oversized reason, ids that name nothing, ids with control characters,
/// negative ids. Each ends with a clear status (never INTERNAL or UNKNOWN) and leaves the dead letters and the
/// actions in the audit trail as they were (the outbox is left out: the relay changes it on its own); each refused
/// or not-found action, and only those, adds its own REFUSED / NOT_FOUND entry to the trail.
/// </summary>
[Collection(OpsCollection.Name)]
public sealed class OpsBadInputPropertyTests(OpsClusterFixture fx)
{
    private static readonly StatusCode[] Clear = [StatusCode.InvalidArgument, StatusCode.NotFound, StatusCode.FailedPrecondition];

    private static Gen<string> Pick(params string[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    [Fact]
    public async Task Generated_bad_actions_end_with_a_clear_status_and_change_nothing()
    {
        var reasons = Pick("", " ", "\t", new string('r', 501), "ok reason");
        var ids = Pick("", "no-such-message", "15:T0:letter\u0000", new string('m', 300), "x");
        var numbers = Gen.Long[-5, 5].Select(n => n <= 0 ? n : 900_000_000 + n);
        var action = Gen.Int[0, 7];
        var gen = Gen.Select(action, reasons, ids, numbers);
        var before = await FingerprintAsync();
        var refusalsBefore = await RefusalsAsync();
        var count = 0;
        var refusals = 0;
        await gen.SampleAsync(async (which, reason, id, number) =>
        {
            count++;
            var ops = fx.Ops("15");
            Task call = which switch
            {
                0 => ops.ResendOutboundAsync(new ResendOutboundRequest { MessageId = id, Operator = "ops-1", Reason = reason }, TransferDriver.Key()).ResponseAsync,
                1 => ops.ReapplyDeadLetterAsync(new ReapplyDeadLetterRequest { DeadLetterId = number, Operator = "ops-1", Reason = reason }, TransferDriver.Key()).ResponseAsync,
                2 => ops.MarkNeverRerunAsync(new MarkNeverRerunRequest { DeadLetterId = number, Operator = "ops-1", Reason = reason }, TransferDriver.Key()).ResponseAsync,
                3 => ops.RedeliverWorkItemAsync(new RedeliverWorkItemRequest { ItemId = id, Operator = "ops-1", Reason = reason }, TransferDriver.Key()).ResponseAsync,
                4 => ops.ReleaseHoldAsync(new ReleaseHoldRequest { TransferId = id, HoldCode = "AMOUNT_MISMATCH", Operator = "ops-1", Reason = reason }, TransferDriver.Key()).ResponseAsync,
                5 => ops.CancelExchangeAsync(new CancelExchangeRequest { TransferId = id, Operator = "ops-1", Reason = reason }, TransferDriver.Key()).ResponseAsync,
                6 => ops.StopResendJobAsync(new ResendJobActionRequest { JobId = number, Operator = "ops-1", Reason = reason }, TransferDriver.Key()).ResponseAsync,
                _ => ops.ResumeResendJobAsync(new ResendJobActionRequest { JobId = number, Operator = "ops-1", Reason = reason }, TransferDriver.Key()).ResponseAsync,
            };
            var ex = await Assert.ThrowsAsync<RpcException>(() => call);
            Assert.True(Clear.Contains(ex.StatusCode), $"action {which}, reason '{reason}', id '{id}', {number}: {ex.StatusCode} {ex.Status.Detail}");
            if (ex.StatusCode == StatusCode.InvalidArgument) Assert.NotEmpty(ErrorDetails.Fields(ex));
            else refusals++;
        }, iter: 150, threads: 1);
        Assert.Equal(150, count);
        Assert.Equal(before, await FingerprintAsync());
        Assert.Equal(refusalsBefore + refusals, await RefusalsAsync());
    }

    private async Task<long> RefusalsAsync()
    {
        await using var conn = new NpgsqlConnection(fx.Cluster["15"].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM audit_log WHERE result LIKE 'REFUSED %' OR result = 'NOT_FOUND'", conn);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task<string> FingerprintAsync()
    {
        await using var conn = new NpgsqlConnection(fx.Cluster["15"].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            SELECT concat_ws('/', (SELECT count(*) FROM audit_log WHERE result NOT LIKE 'REFUSED %' AND result <> 'NOT_FOUND'),
                (SELECT coalesce(sum(rerun_count), 0) FROM dead_letters), (SELECT count(*) FROM dead_letters WHERE never_rerun))
            """, conn);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_bulk_reapply_over_more_than_one_call_goes_on_from_its_token_instead_of_the_start()
    {
        // 1,001 unreadable dead letters in 2001, far from every other test's rows: each re-apply of one fails, changing nothing.
        await fx.SqlAsync("15", """
            INSERT INTO dead_letters (message_id, topic, partition, "offset", message_key, payload, reason, first_seen_at, last_seen_at)
            SELECT NULL, 'ops-bulk-test', 0, n, NULL, '\x00'::bytea, 'unreadable test record', timestamptz '2001-01-01' + n * interval '1 second',
                   timestamptz '2001-01-01' + n * interval '1 second'
            FROM generate_series(1, 1001) AS n
            """);
        var range = new TimeRange
        {
            From = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
            To = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(new DateTime(2001, 1, 2, 0, 0, 0, DateTimeKind.Utc)),
        };
        var request = new ReapplyDeadLettersRequest { FirstSeen = range, Operator = "ops-1", Reason = "bulk test" };

        var first = await fx.Ops("15").ReapplyDeadLettersAsync(request, TransferDriver.Key());
        Assert.Equal((1000, true), (first.Matched, first.More));
        Assert.NotEmpty(first.NextPageToken);

        request.PageToken = first.NextPageToken;
        var second = await fx.Ops("15").ReapplyDeadLettersAsync(request, TransferDriver.Key());
        Assert.Equal((1, false, ""), (second.Matched, second.More, second.NextPageToken));

        // A token from another list, or one whose row id is not a number, is refused by field.
        var forged = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("reapply|0|not-a-row"));
        foreach (var token in new[] { forged, Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("dead_letters|0|12")) })
        {
            request.PageToken = token;
            var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Ops("15").ReapplyDeadLettersAsync(request, TransferDriver.Key()).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            Assert.Contains("page_token", ErrorDetails.Fields(ex));
        }
        var list = await Assert.ThrowsAsync<RpcException>(() => fx.Ops("15").ListDeadLettersAsync(new ListDeadLettersRequest
        {
            PageToken = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("dead_letters|0|abc")),
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, list.StatusCode);
        var failed = await Assert.ThrowsAsync<RpcException>(() => fx.Ops("15").ListExchangesAsync(new ListExchangesRequest
        {
            Condition = Condition.Failed, PageToken = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("Failed|0|abc")),
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, failed.StatusCode);
    }
}
