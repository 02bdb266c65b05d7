using Gateway.Contracts.Transfer.V1;
using Gateway.ProvinceSimulator;
using Grpc.Health.V1;
using static Gateway.Harness.Tests.ProcessClusterFixture;

namespace Gateway.Harness.Tests;

/// <summary>
/// A failure that is the node's own (here: a table of its schema gone mid-run, as a half-applied migration or an
/// operator's mistake leaves it) never dead-letters an envelope or fails an exchange: the inbox retries, health says
/// the node is not serving, and everything completes once the database is whole again.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class OwnFaultTests(ProcessClusterFixture fx)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Database_fault_mid_batch_is_retried_reported_unhealthy_and_blames_no_envelope()
    {
        var db = fx.Db(Origin);
        var deadBefore = await db.CountAsync("SELECT count(*) FROM dead_letters");
        var totalBefore = fx.TotalBalance();
        var people = Enumerable.Range(0, 3).Select(_ => fx.Driver.PickPerson(Origin, EnrolmentState.Suspended)).ToList();
        var certificates = new List<Certificate>();
        foreach (var person in people) certificates.Add(await fx.Driver.IssueCertificateAsync(Origin, person, TransferDriver.Today));

        await db.ScalarAsync("ALTER TABLE inbox RENAME TO inbox_away");
        var restored = false;
        try
        {
            var transfers = new List<string>();
            foreach (var certificate in certificates)
                transfers.Add((await fx.Driver.SubmitAsync(Destination, certificate, TransferDriver.Today)).TransferId);

            var health = new Health.HealthClient(fx.Cluster[Origin].Channel);
            await NodeDb.WaitUntilAsync(async () =>
                (await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5))).Status == HealthCheckResponse.Types.ServingStatus.NotServing,
                Timeout, "the origin to report NOT_SERVING while its inbox cannot make progress");
            Assert.Equal(deadBefore, await db.CountAsync("SELECT count(*) FROM dead_letters"));

            await db.ScalarAsync("ALTER TABLE inbox_away RENAME TO inbox");
            restored = true;
            foreach (var id in transfers)
            {
                var done = await fx.Driver.WaitForStateAsync(Destination, id, Timeout, TransferState.Completed);
                Assert.False(done.ExchangeFailed);
                Assert.False((await fx.Driver.WaitForStateAsync(Origin, id, Timeout, TransferState.Acknowledged)).ExchangeFailed);
            }
            await NodeDb.WaitUntilAsync(async () =>
                (await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5))).Status == HealthCheckResponse.Types.ServingStatus.Serving,
                Timeout, "the origin to report SERVING again");
        }
        finally
        {
            if (!restored) await db.ScalarAsync("ALTER TABLE IF EXISTS inbox_away RENAME TO inbox");
        }
        Assert.Equal(deadBefore, await db.CountAsync("SELECT count(*) FROM dead_letters"));
        Assert.Equal(0, await fx.Db(Destination).CountAsync("SELECT count(*) FROM outbox WHERE status = 'failed' AND message_type = 'ContactLetterSent'"));
        Assert.Equal(totalBefore, fx.TotalBalance());
    }
}
