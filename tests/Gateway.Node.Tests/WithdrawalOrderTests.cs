using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Messaging;
using Gateway.ProvinceSimulator;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Gateway.Node.Tests;

/// <summary>Envelopes of one transfer can arrive out of order after a re-send: the origin must still end consistent.</summary>
[Collection(ClusterCollection.Name)]
public sealed class WithdrawalOrderTests(ClusterFixture fx)
{
    [Fact]
    public async Task Withdrawal_that_overtakes_its_letter_is_confirmed_and_the_late_letter_is_ignored()
    {
        var transferId = $"51T{Guid.NewGuid():N}";
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var certificate = new ProvinceDocuments(fx.Cluster["15"].Registry.Profile).BuildCertificate(person, null, ClusterFixture.Today);
        certificate.Number = $"15{certificate.InsuplcAdmdvs}{ClusterFixture.Today.Year}99999";
        using var producer = new EnvelopeProducer(KafkaOptions.ForEmbeddedBroker(fx.Cluster.Broker.BootstrapServers, "test-out-of-order"));

        await PublishAsync(producer, Envelope(transferId, "withdrawal-request", new WithdrawalRequested { TransferId = transferId, Reason = "stays", RequestedOn = Iso(ClusterFixture.Today) }));
        await WaitAsync(() => fx.CountAsync("15", "SELECT count(*) FROM outbox WHERE correlation_id = @id AND message_type = 'WithdrawalAnswered'", ("id", transferId)));
        var answer = await WithdrawalAnswerAsync(transferId);
        Assert.True(answer.Confirmed);

        var letter = Envelope(transferId, "letter", new ContactLetterSent
        {
            TransferId = transferId,
            Certificate = certificate,
            Letter = new ContactLetter { Person = certificate.Person, Insutype = certificate.Insutype },
            AcceptedOn = Iso(ClusterFixture.Today),
            SentOn = Iso(ClusterFixture.Today),
        });
        await PublishAsync(producer, letter);
        await WaitAsync(() => fx.CountAsync("15", "SELECT count(*) FROM inbox WHERE message_id = @id", ("id", letter.MessageId)));

        Assert.Equal(0, await fx.CountAsync("15", "SELECT count(*) FROM transfers WHERE transfer_id = @id", ("id", transferId)));
        Assert.Equal(0, await fx.CountAsync("15", "SELECT count(*) FROM work_items WHERE transfer_id = @id", ("id", transferId)));
        Assert.Equal(0, await fx.CountAsync("15", "SELECT count(*) FROM dead_letters WHERE message_id = @id", ("id", letter.MessageId)));
    }

    /// <summary>As the destination's node would send it, signed with its key.</summary>
    private Envelope Envelope(string transferId, string step, IMessage payload) => fx.Cluster.Keys.Sign(new Envelope
    {
        MessageId = $"51:{transferId}:{step}",
        MessageType = payload.Descriptor.Name,
        SenderProvince = "51",
        ReceiverProvince = "15",
        CorrelationId = transferId,
        SentAt = Timestamp.FromDateTime(DateTime.UtcNow),
        SchemaVersion = "1.0",
        Payload = payload.ToByteString(),
        Attempt = 1,
    });

    private static async Task PublishAsync(EnvelopeProducer producer, Envelope envelope)
    {
        var results = await producer.PublishBatchAsync([new OutgoingRecord(TopicNames.Inbox("15"), envelope.CorrelationId, envelope.ToByteArray())], CancellationToken.None);
        Assert.True(results[0].Succeeded, results[0].Error);
    }

    private async Task<WithdrawalAnswered> WithdrawalAnswerAsync(string transferId)
    {
        await using var conn = new Npgsql.NpgsqlConnection(fx.Cluster["15"].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT payload FROM outbox WHERE correlation_id = @id AND message_type = 'WithdrawalAnswered'", conn);
        cmd.Parameters.AddWithValue("id", transferId);
        var envelope = Gateway.Contracts.Exchange.V1.Envelope.Parser.ParseFrom((byte[])(await cmd.ExecuteScalarAsync())!);
        return WithdrawalAnswered.Parser.ParseFrom(envelope.Payload);
    }

    private static async Task WaitAsync(Func<Task<long>> count)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (await count() == 0)
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("The node did not apply the envelope within 30 s.");
            await Task.Delay(50);
        }
    }

    private static string Iso(DateOnly d) => d.ToString("yyyy-MM-dd");
}
