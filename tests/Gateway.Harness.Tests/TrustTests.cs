using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Messaging;
using Gateway.Node.Exchange;
using Gateway.Node.Transfers;
using Gateway.ProvinceSimulator;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using static Gateway.Harness.Tests.ProcessClusterFixture;

namespace Gateway.Harness.Tests;

/// <summary>
/// An envelope acts only within its own exchange. Each forgery below is written onto a node's inbox topic with an
/// ordinary Kafka producer, as a hostile integrator with access to the broker could; the node refuses it with its
/// reason, and no state, balance or transfer envelope changes.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class TrustTests(ProcessClusterFixture fx)
{
    private const string Stranger = "44"; // 广东: a province with no part in these transfers
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static DateOnly Today => TransferDriver.Today;
    private KafkaProbe Kafka => new(fx.Cluster.Broker.BootstrapServers);

    [Fact]
    public async Task Receipt_or_rejection_from_a_province_that_is_not_the_receiver_is_dead_lettered_and_changes_nothing()
    {
        var origin = fx.Cluster[Origin];
        var db = fx.Db(Destination);
        var person = fx.Driver.PickPerson(Origin, EnrolmentState.Suspended);
        var certificate = await fx.Driver.IssueCertificateAsync(Origin, person, Today);
        await origin.StopAsync(); // the letter waits for its receipt while the origin is away
        string transferId;
        try
        {
            transferId = (await fx.Driver.SubmitAsync(Destination, certificate, Today)).TransferId;
            var letterId = EnvelopeFactory.StepMessageId(Destination, transferId, Steps.Letter);
            var before = await OutboxStatusAsync(db, letterId);

            var receipt = Forge(Stranger, Destination, "", new Receipt { MessageIds = { letterId } });
            var rejection = Forge(Stranger, Destination, "", new Receipt { Rejections = { new Rejection { MessageId = letterId, Reason = "forged" } } });
            await Kafka.ProduceAsync(TopicNames.Inbox(Destination), "forged", receipt);
            await Kafka.ProduceAsync(TopicNames.Inbox(Destination), "forged", rejection);

            Assert.StartsWith(TrustCodes.ForeignReceipt, await DeadLetterReasonAsync(db, receipt));
            Assert.StartsWith(TrustCodes.ForeignReceipt, await DeadLetterReasonAsync(db, rejection));
            Assert.Equal(before, await OutboxStatusAsync(db, letterId));
            Assert.NotEqual("delivered", before);
            var view = await fx.Driver.Client(Destination).GetTransferAsync(new GetTransferRequest { TransferId = transferId });
            Assert.False(view.ExchangeFailed);
            Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM outbox WHERE receiver = @p", ("p", Stranger)));
        }
        finally
        {
            await origin.StartAsync();
        }
        // The real origin's receipt still counts, and the transfer completes.
        await fx.Driver.WaitForStateAsync(Destination, transferId, Timeout, TransferState.Completed);
    }

    [Fact]
    public async Task Withdrawal_request_from_a_province_that_is_not_the_destination_is_dead_lettered_and_withdraws_nothing()
    {
        var simulator = fx.Cluster[Origin].Simulator!;
        var db = fx.Db(Origin);
        var person = fx.Driver.PickPerson(Origin, EnrolmentState.Suspended);
        simulator.Pause(); // the origin has not acted: a real withdrawal would be confirmed now
        var receiptsBefore = await db.CountAsync("SELECT count(*) FROM outbox WHERE message_type = 'Receipt' AND receiver = @p", ("p", Stranger));
        string transferId;
        try
        {
            var certificate = await fx.Driver.IssueCertificateAsync(Origin, person, Today);
            transferId = (await fx.Driver.SubmitAsync(Destination, certificate, Today)).TransferId;
            await fx.Driver.WaitForStateAsync(Origin, transferId, Timeout, TransferState.LetterSent);

            var forged = Forge(Stranger, Origin, transferId, new WithdrawalRequested { TransferId = transferId, Reason = "forged", RequestedOn = Iso(Today) });
            // Before its letter: a forged request must not make the origin drop the real letter later.
            var early = $"{Destination}T{Guid.NewGuid():N}";
            var forgedEarly = Forge(Stranger, Origin, early, new WithdrawalRequested { TransferId = early, RequestedOn = Iso(Today) });
            await Kafka.ProduceAsync(TopicNames.Inbox(Origin), transferId, forged);
            await Kafka.ProduceAsync(TopicNames.Inbox(Origin), early, forgedEarly);

            Assert.StartsWith(TrustCodes.SenderMismatch, await DeadLetterReasonAsync(db, forged));
            Assert.StartsWith(TrustCodes.SenderMismatch, await DeadLetterReasonAsync(db, forgedEarly));
            var view = await fx.Driver.Client(Origin).GetTransferAsync(new GetTransferRequest { TransferId = transferId });
            Assert.Equal(TransferState.LetterSent, view.State);
            Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM withdrawn_before_letter WHERE transfer_id = @id", ("id", early)));
            Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM outbox WHERE message_type = 'WithdrawalAnswered' AND correlation_id IN (@a, @b)",
                ("a", transferId), ("b", early)));
            Assert.Equal(receiptsBefore, await db.CountAsync("SELECT count(*) FROM outbox WHERE message_type = 'Receipt' AND receiver = @p", ("p", Stranger))); // never answered
        }
        finally
        {
            simulator.Resume();
        }
        await fx.Driver.WaitForStateAsync(Destination, transferId, Timeout, TransferState.Completed);
    }

    [Fact]
    public async Task Letter_from_a_province_that_did_not_open_the_transfer_is_dead_lettered_and_creates_nothing()
    {
        var db = fx.Db(Origin);
        var person = fx.Driver.PickPerson(Origin, EnrolmentState.Suspended);
        var certificate = await fx.Driver.IssueCertificateAsync(Origin, person, Today);
        var (transferId, letter) = Letter(certificate, Destination);
        var receiptsBefore = await db.CountAsync("SELECT count(*) FROM outbox WHERE message_type = 'Receipt' AND receiver = @p", ("p", Stranger));

        var forged = Forge(Stranger, Origin, transferId, letter); // 44 sends a letter for a transfer 51 opened
        await Kafka.ProduceAsync(TopicNames.Inbox(Origin), transferId, forged);

        Assert.StartsWith(TrustCodes.SenderMismatch, await DeadLetterReasonAsync(db, forged));
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM transfers WHERE transfer_id = @id", ("id", transferId)));
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM work_items WHERE transfer_id = @id", ("id", transferId)));
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM outbox WHERE correlation_id = @id", ("id", transferId)));
        Assert.Equal(receiptsBefore, await db.CountAsync("SELECT count(*) FROM outbox WHERE message_type = 'Receipt' AND receiver = @p", ("p", Stranger))); // never answered
        Assert.Equal("live", await db.ScalarAsync("SELECT status FROM certificates WHERE number = @n", ("n", certificate.Number)));
    }

    [Theory]
    [InlineData("CERTIFICATE_UNKNOWN")]
    [InlineData("CERTIFICATE_EXPIRED")]
    [InlineData("DOCUMENTS_INCONSISTENT")]
    [InlineData("SENDER_MISMATCH")]
    public async Task Letter_the_origin_has_no_reason_to_trust_is_returned_with_its_reason_and_debits_nothing(string expected)
    {
        var db = fx.Db(Origin);
        var person = fx.Driver.PickPerson(Origin, EnrolmentState.Suspended);
        var totalBefore = fx.TotalBalance();
        var issuedOn = expected == "CERTIFICATE_EXPIRED" ? Today.AddMonths(-4) : Today;
        var certificate = await fx.Driver.IssueCertificateAsync(Origin, person, issuedOn);
        var (transferId, letter) = Letter(certificate, Destination);
        switch (expected)
        {
            case "CERTIFICATE_UNKNOWN":
                letter.Certificate.Number = certificate.Number[..^5] + "99999"; // a number this origin never issued
                break;
            case "DOCUMENTS_INCONSISTENT":
                var other = fx.Driver.PickPerson(Origin, EnrolmentState.Suspended);
                letter.Certificate.Person.Certno = letter.Letter.Person.Certno = other.IdentityNumber;
                break;
            case "SENDER_MISMATCH":
                letter.Letter.DestinationAgency.Admdvs = "440100"; // the agency is not in the sending province
                break;
        }

        var forged = Forge(Destination, Origin, transferId, letter);
        await Kafka.ProduceAsync(TopicNames.Inbox(Origin), transferId, forged);

        var view = await fx.Driver.WaitForStateAsync(Origin, transferId, Timeout, TransferState.LetterReturned);
        Assert.Equal(expected, view.ReturnReasonCode);
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM work_items WHERE transfer_id = @id", ("id", transferId)));
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM outbox WHERE correlation_id = @id AND message_type = 'LetterReturned'", ("id", transferId)));
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM outbox WHERE correlation_id = @id AND message_type <> 'LetterReturned'", ("id", transferId)));
        Assert.Equal(totalBefore, fx.TotalBalance());
        Assert.Equal(person.BalanceFen, fx.Cluster[Origin].Registry.BalanceOf(person.IdentityNumber));
    }

    [Fact]
    public async Task One_certificate_serves_one_transfer_out_whoever_presents_it_again()
    {
        var db = fx.Db(Origin);
        var person = fx.Driver.PickPerson(Origin, EnrolmentState.Suspended);
        var simulator = fx.Cluster[Origin].Simulator!;
        simulator.Pause(); // the first transfer is open while a second destination presents the same certificate
        Certificate certificate;
        string first;
        try
        {
            certificate = await fx.Driver.IssueCertificateAsync(Origin, person, Today);
            first = (await fx.Driver.SubmitAsync(Destination, certificate, Today)).TransferId;
            await fx.Driver.WaitForStateAsync(Origin, first, Timeout, TransferState.LetterSent);

            var (second, letter) = Letter(certificate, Stranger);
            await Kafka.ProduceAsync(TopicNames.Inbox(Origin), second, Forge(Stranger, Origin, second, letter));
            var returned = await fx.Driver.WaitForStateAsync(Origin, second, Timeout, TransferState.LetterReturned);
            Assert.Equal("CERTIFICATE_ALREADY_USED", returned.ReturnReasonCode);
        }
        finally
        {
            simulator.Resume();
        }
        var totalBefore = fx.TotalBalance();
        await fx.Driver.WaitForStateAsync(Destination, first, Timeout, TransferState.Completed);
        await fx.Driver.WaitForStateAsync(Origin, first, Timeout, TransferState.Acknowledged);

        // After completion: the destination refuses the certificate again, and a letter presenting it anyway is returned.
        var again = await Assert.ThrowsAsync<RpcException>(() => fx.Driver.SubmitAsync(Destination, certificate, Today));
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.Equal("CERTIFICATE_ALREADY_USED", again.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>()!.Reason);
        var (third, thirdLetter) = Letter(certificate, Destination);
        await Kafka.ProduceAsync(TopicNames.Inbox(Origin), third, Forge(Destination, Origin, third, thirdLetter));
        Assert.Equal("CERTIFICATE_ALREADY_USED", (await fx.Driver.WaitForStateAsync(Origin, third, Timeout, TransferState.LetterReturned)).ReturnReasonCode);

        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM work_items w JOIN transfers t USING (transfer_id) WHERE t.certificate_number = @n AND w.kind = 'BuildInformationTable'",
            ("n", certificate.Number)));
        Assert.Equal(totalBefore, fx.TotalBalance());
    }

    [Fact]
    public async Task A_new_certificate_supersedes_the_persons_earlier_one_and_none_is_issued_while_one_serves_an_open_transfer()
    {
        var person = fx.Driver.PickPerson(Origin, EnrolmentState.Suspended);
        var older = await fx.Driver.IssueCertificateAsync(Origin, person, Today);
        var newer = await fx.Driver.IssueCertificateAsync(Origin, person, Today);
        var (transferId, letter) = Letter(older, Destination);
        await Kafka.ProduceAsync(TopicNames.Inbox(Origin), transferId, Forge(Destination, Origin, transferId, letter));
        Assert.Equal("CERTIFICATE_SUPERSEDED", (await fx.Driver.WaitForStateAsync(Origin, transferId, Timeout, TransferState.LetterReturned)).ReturnReasonCode);

        var simulator = fx.Cluster[Origin].Simulator!;
        simulator.Pause();
        try
        {
            var open = (await fx.Driver.SubmitAsync(Destination, newer, Today)).TransferId;
            await fx.Driver.WaitForStateAsync(Origin, open, Timeout, TransferState.LetterSent);
            var refused = await Assert.ThrowsAsync<RpcException>(() => fx.Driver.IssueCertificateAsync(Origin, person, Today));
            Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
            Assert.Equal("CERTIFICATE_IN_USE", refused.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>()!.Reason);
        }
        finally
        {
            simulator.Resume();
        }
    }

    private (string TransferId, ContactLetterSent Letter) Letter(Certificate certificate, string destination)
    {
        var transferId = $"{destination}T{Guid.NewGuid():N}";
        var request = fx.Driver.BuildApplication(Destination, certificate, Today);
        if (destination != Destination) request.DestinationAgency.Admdvs = destination + "0100";
        return (transferId, new ContactLetterSent
        {
            TransferId = transferId,
            Certificate = request.Certificate.Clone(),
            AcceptedOn = Iso(Today),
            SentOn = Iso(Today),
            Application = request.Application,
            Letter = new ContactLetter
            {
                Number = $"{destination}0100{Today.Year}{Random.Shared.Next(10000, 99999)}",
                IssuedOn = Iso(Today),
                OriginAgency = request.Application.OriginAgency,
                Person = request.Application.Person.Clone(),
                AccountMoves = true,
                Insutype = request.Application.Insutype,
                DestinationAgency = request.DestinationAgency,
                DestinationAccount = request.DestinationAccount,
                Handler = request.Handler,
                HandlerPhone = request.HandlerPhone,
            },
        });
    }

    /// <summary>Signed with the sender's own key: these test the trust rules, which apply to envelopes that verify.</summary>
    private byte[] Forge(string sender, string receiver, string correlationId, IMessage payload) => fx.Cluster.Keys.Signed(new Envelope
    {
        MessageId = $"{sender}:{correlationId}:forged:{Guid.NewGuid():N}",
        MessageType = payload.Descriptor.Name,
        SenderProvince = sender,
        ReceiverProvince = receiver,
        CorrelationId = correlationId,
        SentAt = Timestamp.FromDateTime(DateTime.UtcNow),
        SchemaVersion = "1.0",
        Payload = payload.ToByteString(),
        Attempt = 1,
    });

    private static async Task<string> OutboxStatusAsync(NodeDb db, string messageId) =>
        (string)(await db.ScalarAsync("SELECT status FROM outbox WHERE message_id = @id", ("id", messageId)))!;

    private static Task<string> DeadLetterReasonAsync(NodeDb db, byte[] payload) => db.DeadLetterReasonAsync(payload, Timeout);

    private static string Iso(DateOnly d) => d.ToString("yyyy-MM-dd");
}
