using Confluent.Kafka;
using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Messaging;
using Gateway.ProvinceSimulator;
using Grpc.Net.Client;

namespace Gateway.Harness.Tests;

/// <summary>
/// Province 51 run as two node processes on one database (a Deployment with two replicas): the outbox relays and the
/// inbox consumers of both claim work from the same tables. Transfers go both ways through both instances.
/// </summary>
public sealed class TwoInstancesTests
{
    private const string Origin = "15";
    private const string Twin = "51";
    private const int TransfersEachWay = 12;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Two_instances_on_one_database_send_each_envelope_once_apply_each_once_and_keep_each_transfers_order()
    {
        await using var cluster = await ProcessClusterFixture.StartAsync(startSimulators: true, peoplePerProvince: 60);
        var driver = new TransferDriver(cluster);
        var today = TransferDriver.Today;
        var total = cluster.Nodes.Values.Sum(n => n.Registry.TotalBalance());

        // One transfer each way with one instance: the timelines every later transfer must repeat, event for event.
        var (baseIn, baseInOrigin) = await driver.RunAsync(Origin, Twin, driver.PickPerson(Origin, EnrolmentState.Suspended), today, Timeout);
        var (baseOut, baseOutOrigin) = await driver.RunAsync(Twin, Origin, driver.PickPerson(Twin, EnrolmentState.Suspended), today, Timeout);
        Assert.Equal(TransferState.Completed, baseIn.State);
        Assert.Equal(TransferState.Completed, baseOut.State);

        var second = await cluster.StartInstanceAsync(Twin);
        GrpcChannel[] twins = [cluster[Twin].Channel, second.Channel];

        // Into 51: applications alternate between its two instances. Out of 51: certificates alternate likewise.
        var inbound = Enumerable.Range(0, TransfersEachWay).Select(async i =>
        {
            var certificate = await driver.IssueCertificateAsync(Origin, driver.PickPerson(Origin, EnrolmentState.Suspended), today);
            var request = driver.BuildApplication(Twin, certificate, today);
            var accepted = await TransferDriver.WhileBusyAsync(() => new TransferService.TransferServiceClient(twins[i % 2])
                .SubmitApplicationAsync(request, TransferDriver.Key(), DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
            return accepted.TransferId;
        });
        var outbound = Enumerable.Range(0, TransfersEachWay).Select(async i =>
        {
            var person = driver.PickPerson(Twin, EnrolmentState.Suspended);
            var certificate = new ProvinceDocuments(cluster[Twin].Registry.Profile).BuildCertificate(person, null, today);
            var issued = await TransferDriver.WhileBusyAsync(() => new TransferService.TransferServiceClient(twins[(i + 1) % 2])
                .IssueCertificateAsync(new IssueCertificateRequest { Certificate = certificate }, TransferDriver.Key(), DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
            var accepted = await driver.SubmitAsync(Origin, issued, today);
            return accepted.TransferId;
        });
        var intoTwin = await Task.WhenAll(inbound);
        var outOfTwin = await Task.WhenAll(outbound);

        foreach (var id in intoTwin)
        {
            var destination = await driver.WaitForStateAsync(Twin, id, Timeout, TransferState.Completed);
            var origin = await driver.WaitForStateAsync(Origin, id, Timeout, TransferState.Acknowledged);
            Assert.Equal(Events(baseIn), Events(destination));
            Assert.Equal(Events(baseInOrigin), Events(origin));
        }
        foreach (var id in outOfTwin)
        {
            var destination = await driver.WaitForStateAsync(Origin, id, Timeout, TransferState.Completed);
            var origin = await driver.WaitForStateAsync(Twin, id, Timeout, TransferState.Acknowledged);
            Assert.Equal(Events(baseOut), Events(destination));
            Assert.Equal(Events(baseOutOrigin), Events(origin));
        }

        // Money moved once per transfer: every balance is where it should be and the sum is unchanged.
        Assert.Equal(total, cluster.Nodes.Values.Sum(n => n.Registry.TotalBalance()));
        Assert.Equal(0, cluster[Twin].Simulator!.Counters.Duplicates);
        Assert.Equal(0, cluster[Origin].Simulator!.Counters.Duplicates);

        // Each work item at 51 answered once, whichever instance pushed it.
        var db = new NodeDb(cluster[Twin].ConnectionString);
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM work_item_answer_conflicts"));

        // No envelope published twice by the two relays: on 15's inbox, each (message id, attempt) of 51's appears once.
        var published = ReadAll(cluster, TopicNames.Inbox(Origin)).Where(e => e.SenderProvince == Twin).ToList();
        Assert.True(published.Count >= TransfersEachWay * 2, $"only {published.Count} envelopes from {Twin} on {Origin}'s inbox");
        var twice = published.GroupBy(e => (e.MessageId, e.Attempt)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, $"published twice: {string.Join(", ", twice.Take(5))}");
        Assert.True(second.IsRunning, "the second instance exited");
    }

    private static List<string> Events(Transfer t) => t.Timeline.Select(e => e.Event).ToList();

    private static List<Envelope> ReadAll(GatewayCluster cluster, string topic)
    {
        var config = KafkaOptions.ForEmbeddedBroker(cluster.Broker.BootstrapServers, "two-instances-reader").CreateConsumerConfig($"reader-{Guid.NewGuid():N}");
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        config.EnableAutoCommit = false;
        using var consumer = new ConsumerBuilder<string, byte[]>(config).Build();
        consumer.Subscribe(topic);
        var envelopes = new List<Envelope>();
        var quietUntil = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < quietUntil && DateTime.UtcNow < until)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result?.Message?.Value is not { } value) continue;
            envelopes.Add(Envelope.Parser.ParseFrom(value));
            quietUntil = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        }
        consumer.Close();
        return envelopes;
    }
}
