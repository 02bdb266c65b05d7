using Gateway.Contracts.Transfer.V1;
using Gateway.Messaging;
using Gateway.Node.Exchange;
using Gateway.Node.Transfers;
using Gateway.ProvinceSimulator;
using static Gateway.Harness.Tests.ProcessClusterFixture;

namespace Gateway.Harness.Tests;

/// <summary>Reception awareness: an envelope the receiver never saw is sent again until its receipt comes (DESIGN §6).</summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class LostEnvelopeTests(ProcessClusterFixture fx)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static DateOnly Today => TransferDriver.Today;

    [Fact]
    public async Task Envelope_lost_after_publish_is_resent_and_transfer_completes()
    {
        var node = fx.Cluster[Origin];
        var person = fx.Driver.PickPerson(Origin, EnrolmentState.Suspended);
        var certificate = await fx.Driver.IssueCertificateAsync(Origin, person, Today);
        string transferId, letterId;
        DateTime skippedAt;

        await node.StopAsync();
        try
        {
            transferId = (await fx.Driver.SubmitAsync(Destination, certificate, Today)).TransferId;
            letterId = EnvelopeFactory.StepMessageId(Destination, transferId, Steps.Letter);
            // While the origin is down, move its group past the letter: to the origin, that copy never existed.
            new KafkaProbe(fx.Cluster.Broker.BootstrapServers).SkipEverythingUpTo(
                $"gateway-node-{Origin}", TopicNames.Inbox(Origin), letterId, fx.Cluster.Options.InboxPartitions, Timeout);
            skippedAt = DateTime.UtcNow;
        }
        finally
        {
            await node.StartAsync();
        }

        var destination = await fx.Driver.WaitForStateAsync(Destination, transferId, Timeout, TransferState.Completed);
        var origin = await fx.Driver.WaitForStateAsync(Origin, transferId, Timeout, TransferState.Acknowledged);
        Assert.Equal(person.BalanceFen, origin.TransferredAmountFen);
        Assert.Equal(person.BalanceFen, destination.CreditedAmountFen);

        // Same message id, sent more than once, and delivered in the end.
        var (status, attempts) = (await fx.Db(Destination).QueryAsync("SELECT status, attempts FROM outbox WHERE message_id = @id",
            r => (r.GetString(0), r.GetInt32(1)), ("id", letterId))).Single();
        Assert.Equal("delivered", status);
        Assert.True(attempts >= 2, $"the letter was published {attempts} time(s)");
        // The origin took it in only after the skip, so what it applied was a re-send.
        var receivedAt = (DateTime)(await fx.Db(Origin).ScalarAsync("SELECT received_at FROM inbox WHERE message_id = @id", ("id", letterId)))!;
        Assert.True(receivedAt.ToUniversalTime() > skippedAt, $"received {receivedAt:O}, skipped at {skippedAt:O}");
        Assert.Equal(1, await fx.Db(Origin).CountAsync("SELECT count(*) FROM transfers WHERE transfer_id = @id", ("id", transferId)));
    }
}
