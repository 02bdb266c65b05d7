using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Messaging;
using Gateway.Node.Transfers;
using Gateway.ProvinceSimulator;
using static Gateway.Harness.Tests.ProcessClusterFixture;

namespace Gateway.Harness.Tests;

/// <summary>An envelope delivered again after it was applied is absorbed by the inbox (DESIGN §6.1: node → node).</summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class DuplicateDeliveryTests(ProcessClusterFixture fx)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static DateOnly Today => TransferDriver.Today;

    [Fact]
    public async Task Envelope_delivered_twice_acts_once()
    {
        var person = fx.Driver.PickPerson(Origin, EnrolmentState.Suspended);
        var (destination, origin) = await fx.Driver.RunAsync(Origin, Destination, person, Today, Timeout);
        Assert.Equal(TransferState.Acknowledged, origin.State);
        var transferId = destination.TransferId;
        var (originDb, destinationDb) = (fx.Db(Origin), fx.Db(Destination));
        // Let the origin's last item (closing its record) be answered, so every work item is settled before the repeat.
        await fx.Cluster[Origin].Simulator!.WaitForAnsweredAsync(TransferSteps.ItemId(transferId, Steps.Close), Timeout);

        // The letter (destination → origin) and the information table (origin → destination), as first sent.
        var letter = await DeliveredEnvelopeAsync(destinationDb, transferId, nameof(ContactLetterSent));
        var table = await DeliveredEnvelopeAsync(originDb, transferId, nameof(InformationTableSent));
        var before = new
        {
            OriginItems = await WorkItemsAsync(originDb, transferId),
            DestinationItems = await WorkItemsAsync(destinationDb, transferId),
            LetterReceipts = await ReceiptsForAsync(originDb, Destination, letter.MessageId),
            TableReceipts = await ReceiptsForAsync(destinationDb, Origin, table.MessageId),
            Total = fx.TotalBalance(),
            AtDestination = fx.Cluster[Destination].Registry.BalanceOf(person.IdentityNumber),
        };

        var kafka = new KafkaProbe(fx.Cluster.Broker.BootstrapServers);
        await kafka.ProduceAsync(TopicNames.Inbox(Origin), transferId, letter.Payload);
        await kafka.ProduceAsync(TopicNames.Inbox(Destination), transferId, table.Payload);

        // Each receiver acknowledges the repeat again (its first receipt might have been lost): that is how we know it was consumed.
        await NodeDb.WaitUntilAsync(async () => await ReceiptsForAsync(originDb, Destination, letter.MessageId) > before.LetterReceipts, Timeout, "a new receipt for the repeated letter");
        await NodeDb.WaitUntilAsync(async () => await ReceiptsForAsync(destinationDb, Origin, table.MessageId) > before.TableReceipts, Timeout, "a new receipt for the repeated table");

        foreach (var (db, id) in new[] { (originDb, letter.MessageId), (destinationDb, table.MessageId) })
        {
            Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM inbox WHERE message_id = @id", ("id", id)));
            Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM dead_letters WHERE message_id = @id", ("id", id)));
            Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM transfers WHERE transfer_id = @id", ("id", transferId)));
        }
        Assert.Equal(before.OriginItems, await WorkItemsAsync(originDb, transferId));
        Assert.Equal(before.DestinationItems, await WorkItemsAsync(destinationDb, transferId));
        Assert.Equal(0, fx.Cluster[Origin].Registry.BalanceOf(person.IdentityNumber));
        Assert.Equal(before.AtDestination, fx.Cluster[Destination].Registry.BalanceOf(person.IdentityNumber));
        Assert.Equal(before.Total, fx.TotalBalance());
        var originNow = await fx.Driver.Client(Origin).GetTransferAsync(new GetTransferRequest { TransferId = transferId });
        var destinationNow = await fx.Driver.Client(Destination).GetTransferAsync(new GetTransferRequest { TransferId = transferId });
        Assert.Equal(TransferState.Acknowledged, originNow.State);
        Assert.Equal(TransferState.Completed, destinationNow.State);
        Assert.Equal(destination.CreditedAmountFen, destinationNow.CreditedAmountFen);
    }

    private sealed record Sent(string MessageId, byte[] Payload);

    /// <summary>The sender's outbox row once its receipt came back, so no re-send of it is still under way.</summary>
    private static async Task<Sent> DeliveredEnvelopeAsync(NodeDb db, string transferId, string type)
    {
        const string sql = "SELECT message_id, payload, status FROM outbox WHERE correlation_id = @id AND message_type = @type";
        Sent? sent = null;
        await NodeDb.WaitUntilAsync(async () =>
        {
            var row = (await db.QueryAsync(sql, r => (Id: r.GetString(0), Payload: r.GetFieldValue<byte[]>(1), Status: r.GetString(2)),
                ("id", transferId), ("type", type))).Single();
            sent = new Sent(row.Id, row.Payload);
            return row.Status == "delivered";
        }, Timeout, $"the receipt of {type}");
        return sent!;
    }

    private static Task<List<string>> WorkItemsAsync(NodeDb db, string transferId) =>
        db.QueryAsync("SELECT item_id || ':' || status FROM work_items WHERE transfer_id = @id ORDER BY item_id", r => r.GetString(0), ("id", transferId));

    /// <summary>Receipts the node queued to <paramref name="receiver"/> that acknowledge <paramref name="messageId"/>.</summary>
    private static async Task<int> ReceiptsForAsync(NodeDb db, string receiver, string messageId)
    {
        var payloads = await db.QueryAsync("SELECT payload FROM outbox WHERE message_type = 'Receipt' AND receiver = @r",
            r => r.GetFieldValue<byte[]>(0), ("r", receiver));
        return payloads.Count(p => Receipt.Parser.ParseFrom(Envelope.Parser.ParseFrom(p).Payload).MessageIds.Contains(messageId));
    }
}
