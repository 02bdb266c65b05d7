using CsCheck;
using Gateway.Contracts.Ops.V1;
using Gateway.Harness;
using Grpc.Core;
using Npgsql;

namespace Gateway.Node.Tests;

/// <summary>
/// Generated bad operator actions: a missing or oversized reason, ids that name nothing, ids with control characters,
/// negative ids. Each ends with a clear status (never INTERNAL or UNKNOWN) and leaves the audit trail and the
/// dead letters as they were (the outbox is left out: the relay changes it on its own).
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
        var action = Gen.Int[0, 3];
        var gen = Gen.Select(action, reasons, ids, numbers);
        var before = await FingerprintAsync();
        var count = 0;
        await gen.SampleAsync(async (which, reason, id, number) =>
        {
            count++;
            var ops = fx.Ops("15");
            Task call = which switch
            {
                0 => ops.ResendOutboundAsync(new ResendOutboundRequest { MessageId = id, Operator = "ops-1", Reason = reason }, TransferDriver.Key()).ResponseAsync,
                1 => ops.ReapplyDeadLetterAsync(new ReapplyDeadLetterRequest { DeadLetterId = number, Operator = "ops-1", Reason = reason }, TransferDriver.Key()).ResponseAsync,
                2 => ops.MarkNeverRerunAsync(new MarkNeverRerunRequest { DeadLetterId = number, Operator = "ops-1", Reason = reason }, TransferDriver.Key()).ResponseAsync,
                _ => ops.RedeliverWorkItemAsync(new RedeliverWorkItemRequest { ItemId = id, Operator = "ops-1", Reason = reason }, TransferDriver.Key()).ResponseAsync,
            };
            var ex = await Assert.ThrowsAsync<RpcException>(() => call);
            Assert.True(Clear.Contains(ex.StatusCode), $"action {which}, reason '{reason}', id '{id}', {number}: {ex.StatusCode} {ex.Status.Detail}");
            if (ex.StatusCode == StatusCode.InvalidArgument) Assert.NotEmpty(ErrorDetails.Fields(ex));
        }, iter: 150, threads: 1);
        Assert.Equal(150, count);
        Assert.Equal(before, await FingerprintAsync());
    }

    private async Task<string> FingerprintAsync()
    {
        await using var conn = new NpgsqlConnection(fx.Cluster["15"].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            SELECT concat_ws('/', (SELECT count(*) FROM audit_log),
                (SELECT coalesce(sum(rerun_count), 0) FROM dead_letters), (SELECT count(*) FROM dead_letters WHERE never_rerun))
            """, conn);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }
}
