using System.Text;
using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Messaging;
using Gateway.ProvinceSimulator;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using static Gateway.Harness.Tests.ProcessClusterFixture;

namespace Gateway.Harness.Tests;

/// <summary>Poison goes to the dead-letter table and topic with its reason, and the inbox keeps flowing.</summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class PoisonMessageTests(ProcessClusterFixture fx)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static DateOnly Today => TransferDriver.Today;

    [Fact]
    public async Task Poison_message_goes_to_dead_letter_and_later_messages_still_flow()
    {
        var kafka = new KafkaProbe(fx.Cluster.Broker.BootstrapServers);
        var db = fx.Db(Destination);
        var garbage = Encoding.UTF8.GetBytes($"this is not an envelope {Guid.NewGuid():N}");
        // Signed by the origin, so it is refused for its type, not its signature.
        var unknown = fx.Cluster.Keys.Signed(new Envelope
        {
            MessageId = $"{Origin}:fault-test:{Guid.NewGuid():N}",
            MessageType = "FilingTeleported",
            SenderProvince = Origin,
            ReceiverProvince = Destination,
            CorrelationId = "no-such-transfer",
            SentAt = Timestamp.FromDateTime(DateTime.UtcNow),
            SchemaVersion = "1.0",
            Payload = ByteString.CopyFromUtf8("{}"),
            Attempt = 1,
        });

        await kafka.ProduceAsync(TopicNames.Inbox(Destination), "poison", garbage);
        await kafka.ProduceAsync(TopicNames.Inbox(Destination), "poison", unknown);

        // The table: one row each, found by payload, with a reason that says what was wrong.
        var garbageReason = await DeadLetterReasonAsync(db, garbage);
        Assert.False(string.IsNullOrWhiteSpace(garbageReason));
        var unknownReason = await DeadLetterReasonAsync(db, unknown);
        Assert.Contains("FilingTeleported", unknownReason);
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM dead_letters WHERE payload = @p", ("p", unknown)));
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM inbox WHERE message_id = @id", ("id", Envelope.Parser.ParseFrom(unknown).MessageId)));

        // The topic: a copy of each record, with the reason in a header.
        var topic = TopicNames.DeadLetter(Destination);
        foreach (var (payload, reason) in new[] { (garbage, garbageReason), (unknown, unknownReason) })
        {
            var copy = kafka.ReadUntil(topic, r => r.Message.Value.AsSpan().SequenceEqual(payload), Timeout);
            Assert.Equal(reason, KafkaProbe.Header(copy, "dead-letter-reason"));
            Assert.Equal(TopicNames.Inbox(Destination), KafkaProbe.Header(copy, "original-topic"));
        }

        // The consumer kept going: a transfer through the same inbox completes.
        var person = fx.Driver.PickPerson(Origin, EnrolmentState.Suspended);
        var (destination, origin) = await fx.Driver.RunAsync(Origin, Destination, person, Today, Timeout);
        Assert.Equal(TransferState.Completed, destination.State);
        Assert.Equal(TransferState.Acknowledged, origin.State);
        Assert.Equal(person.BalanceFen, destination.CreditedAmountFen);
    }

    [Theory]
    [InlineData("empty-sender")]
    [InlineData("nul-in-message-id")]
    [InlineData("from-itself")]
    public async Task Malformed_envelope_is_dead_lettered_without_stalling_the_inbox(string fault)
    {
        var kafka = new KafkaProbe(fx.Cluster.Broker.BootstrapServers);
        var db = fx.Db(Destination);
        var envelope = new Envelope
        {
            MessageId = $"{Origin}:fault-test:{Guid.NewGuid():N}",
            MessageType = nameof(ContactLetterSent),
            SenderProvince = Origin,
            ReceiverProvince = Destination,
            SentAt = Timestamp.FromDateTime(DateTime.UtcNow),
            SchemaVersion = "1.0",
            Attempt = 1,
        };
        switch (fault)
        {
            case "empty-sender": envelope.SenderProvince = ""; break;
            case "nul-in-message-id": envelope.MessageId += "\0x"; break;
            case "from-itself": envelope.SenderProvince = Destination; break;
        }
        var bytes = envelope.ToByteArray();
        await kafka.ProduceAsync(TopicNames.Inbox(Destination), "poison", bytes);

        Assert.False(string.IsNullOrWhiteSpace(await DeadLetterReasonAsync(db, bytes)));
        var person = fx.Driver.PickPerson(Origin, EnrolmentState.Suspended);
        var (destination, _) = await fx.Driver.RunAsync(Origin, Destination, person, Today, Timeout);
        Assert.Equal(TransferState.Completed, destination.State);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("empty")]
    [InlineData("truncated")]
    [InlineData("oversized")]
    public async Task Unreadable_record_is_dead_lettered_with_its_reason_and_the_partition_moves_on(string shape)
    {
        var kafka = new KafkaProbe(fx.Cluster.Broker.BootstrapServers);
        var db = fx.Db(Destination);
        var marker = Guid.NewGuid().ToString("N");
        var whole = new Envelope
        {
            MessageId = $"{Origin}:unreadable:{marker}",
            MessageType = nameof(ContactLetterSent),
            SenderProvince = Origin,
            ReceiverProvince = Destination,
            CorrelationId = marker,
            SentAt = Timestamp.FromDateTime(DateTime.UtcNow),
            SchemaVersion = "1.0",
            Payload = ByteString.CopyFrom(new byte[shape == "oversized" ? 940_000 : 64]),
            Attempt = 1,
        }.ToByteArray();
        byte[]? value = shape switch
        {
            "null" => null,
            "empty" => [],
            "truncated" => whole[..(whole.Length / 2)],
            _ => whole,
        };
        var key = $"unreadable-{marker}";
        var deadBefore = await db.CountAsync("SELECT count(*) FROM dead_letters");

        await kafka.ProduceAsync(TopicNames.Inbox(Destination), key, value!);

        string? reason = null;
        await NodeDb.WaitUntilAsync(async () =>
            (reason = (string?)await db.ScalarAsync("SELECT reason FROM dead_letters WHERE message_key = @k", ("k", key))) is not null,
            Timeout, $"a dead_letters row for the {shape} record");
        Assert.Contains(shape switch { "null" => "null", "empty" => "empty", "oversized" => "bytes", _ => "envelope" }, reason);
        Assert.Equal(deadBefore + 1, await db.CountAsync("SELECT count(*) FROM dead_letters"));
        var health = new Grpc.Health.V1.Health.HealthClient(fx.Cluster[Destination].Channel);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest())).Status);

        // The partition moved on: a transfer through the same inbox completes.
        var person = fx.Driver.PickPerson(Origin, EnrolmentState.Suspended);
        var (destination, _) = await fx.Driver.RunAsync(Origin, Destination, person, Today, Timeout);
        Assert.Equal(TransferState.Completed, destination.State);
    }

    private static Task<string> DeadLetterReasonAsync(NodeDb db, byte[] payload) => db.DeadLetterReasonAsync(payload, Timeout);
}
