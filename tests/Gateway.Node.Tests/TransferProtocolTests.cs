using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Grpc.Core;

namespace Gateway.Node.Tests;

[Collection(ClusterCollection.Name)]
public sealed class TransferProtocolTests(ClusterFixture fx)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Full_transfer_credits_at_destination_exactly_what_the_origin_debited()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var before = person.BalanceFen;
        var totalBefore = fx.Cluster.Nodes.Values.Sum(n => n.Registry.TotalBalance());

        var (destination, origin) = await fx.Driver.RunAsync("15", "51", person, ClusterFixture.Today, Timeout);

        Assert.Equal(TransferState.Completed, destination.State);
        Assert.Equal(TransferState.Acknowledged, origin.State);
        Assert.Equal(before, origin.TransferredAmountFen);
        Assert.Equal(before, destination.CreditedAmountFen);
        Assert.Equal(0, fx.Cluster["15"].Registry.BalanceOf(person.IdentityNumber));
        Assert.Equal(before, fx.Cluster["51"].Registry.BalanceOf(person.IdentityNumber));
        Assert.Equal(totalBefore, fx.Cluster.Nodes.Values.Sum(n => n.Registry.TotalBalance()));
        // Deadlines: letter by Sichuan (destination), table and balance by Inner Mongolia (origin), completion by Sichuan in 3.
        Assert.Equal("51", destination.Deadlines.Single(d => d.Step == "LETTER").GoverningProvince);
        Assert.Equal("15", destination.Deadlines.Single(d => d.Step == "INFO_TABLE").GoverningProvince);
        Assert.Equal(3, destination.Deadlines.Single(d => d.Step == "COMPLETION").WorkingDays);
        Assert.All(destination.Deadlines.Where(d => d.Step != "OVERALL" && d.Step != "BALANCE"), d => Assert.True(d.Met, d.Step));
    }

    [Fact]
    public async Task Returned_letter_shows_its_reason_at_the_destination_and_moves_no_money()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Active); // not suspended at the origin
        var (destination, origin) = await fx.Driver.RunAsync("15", "51", person, ClusterFixture.Today, Timeout);

        Assert.Equal(TransferState.LetterReturned, destination.State);
        Assert.Equal(TransferState.LetterReturned, origin.State);
        Assert.Equal("PERSON_NOT_SUSPENDED", destination.ReturnReasonCode);
        Assert.Contains("suspend", destination.ReturnReason, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(person.BalanceFen, fx.Cluster["15"].Registry.BalanceOf(person.IdentityNumber));
        Assert.Equal(0, destination.CreditedAmountFen);
    }

    [Fact]
    public async Task Withdrawal_before_the_origin_acts_withdraws_both_copies()
    {
        var simulator = fx.Cluster["15"].Simulator!;
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        simulator.Pause();
        string transferId;
        try
        {
            var certificate = await fx.Driver.IssueCertificateAsync("15", person, ClusterFixture.Today);
            transferId = (await fx.Driver.SubmitAsync("51", certificate, ClusterFixture.Today)).TransferId;
            await fx.Driver.WaitForStateAsync("15", transferId, Timeout, TransferState.LetterSent);
            var requested = await fx.Driver.Client("51").WithdrawTransferAsync(new WithdrawTransferRequest { TransferId = transferId, Reason = "stays" }, TransferDriver.Key());
            Assert.Equal(TransferState.WithdrawalRequested, requested.State);
            await fx.Driver.WaitForStateAsync("51", transferId, Timeout, TransferState.Withdrawn);
            await fx.Driver.WaitForStateAsync("15", transferId, Timeout, TransferState.Withdrawn);
        }
        finally
        {
            simulator.Resume();
        }
        // The cancelled items are never applied: no money left the origin.
        await Task.Delay(500);
        Assert.Equal(person.BalanceFen, fx.Cluster["15"].Registry.BalanceOf(person.IdentityNumber));
        var cancelled = await fx.CountAsync("15", "SELECT count(*) FROM work_items WHERE transfer_id = @id AND status = 'cancelled'", ("id", transferId));
        Assert.True(cancelled >= 1);
    }

    [Fact]
    public async Task Withdrawal_after_the_origin_acted_is_refused_with_a_reason()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var (destination, _) = await fx.Driver.RunAsync("15", "51", person, ClusterFixture.Today, Timeout);

        var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Driver.Client("51")
            .WithdrawTransferAsync(new WithdrawTransferRequest { TransferId = destination.TransferId }, TransferDriver.Key()).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("ORIGIN_ALREADY_ACTED", ErrorDetails.Reason(ex));
        var after = await fx.Driver.Client("51").GetTransferAsync(new GetTransferRequest { TransferId = destination.TransferId });
        Assert.Equal(TransferState.Completed, after.State);
    }

    [Fact]
    public async Task Listing_pages_through_every_transfer_once()
    {
        for (var i = 0; i < 3; i++)
        {
            var certificate = await fx.Driver.IssueCertificateAsync("15", fx.Driver.PickPerson("15", EnrolmentState.Suspended), ClusterFixture.Today);
            await fx.Driver.SubmitAsync("51", certificate, ClusterFixture.Today);
        }
        var seen = new List<string>();
        var token = "";
        do
        {
            var page = await fx.Driver.Client("51").ListTransfersAsync(new ListTransfersRequest { PageSize = 2, PageToken = token });
            Assert.True(page.Transfers.Count <= 2);
            seen.AddRange(page.Transfers.Select(t => t.TransferId));
            token = page.NextPageToken;
        } while (token != "");
        var total = await fx.CountAsync("51", "SELECT count(*) FROM transfers");
        Assert.Equal(total, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Fact]
    public async Task A_second_application_on_an_open_certificate_is_refused()
    {
        var simulator = fx.Cluster["15"].Simulator!;
        simulator.Pause(); // keep the first transfer open
        try
        {
            var certificate = await fx.Driver.IssueCertificateAsync("15", fx.Driver.PickPerson("15", EnrolmentState.Suspended), ClusterFixture.Today);
            var first = await fx.Driver.SubmitAsync("51", certificate, ClusterFixture.Today);
            var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Driver.SubmitAsync("51", certificate, ClusterFixture.Today));
            Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
            Assert.Equal("TRANSFER_ALREADY_OPEN", ErrorDetails.Reason(ex));
            Assert.Equal(1, await fx.CountAsync("51", "SELECT count(*) FROM transfers WHERE certificate_number = @n", ("n", certificate.Number)));
            await fx.Driver.Client("51").WithdrawTransferAsync(new WithdrawTransferRequest { TransferId = first.TransferId }, TransferDriver.Key());
        }
        finally
        {
            simulator.Resume();
        }
    }

    [Fact]
    public async Task Origin_returns_a_letter_whose_certificate_was_issued_to_someone_else()
    {
        var owner = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var other = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var issued = await fx.Driver.IssueCertificateAsync("15", owner, ClusterFixture.Today);
        var forged = new Gateway.ProvinceSimulator.ProvinceDocuments(fx.Cluster["15"].Registry.Profile).BuildCertificate(other, null, ClusterFixture.Today);
        forged.Number = issued.Number;
        forged.InsuplcAdmdvs = issued.InsuplcAdmdvs;
        forged.IssuingAgency = issued.IssuingAgency;

        var accepted = await fx.Driver.SubmitAsync("51", forged, ClusterFixture.Today);
        var destination = await fx.Driver.WaitForStateAsync("51", accepted.TransferId, Timeout, TransferState.LetterReturned);

        Assert.Equal("DOCUMENTS_INCONSISTENT", destination.ReturnReasonCode);
        Assert.Equal(other.BalanceFen, fx.Cluster["15"].Registry.BalanceOf(other.IdentityNumber));
    }

    [Fact]
    public async Task A_transfer_past_its_overall_limit_is_listed_as_overdue()
    {
        var simulator = fx.Cluster["15"].Simulator!;
        simulator.Pause(); // the origin never answers
        try
        {
            var acceptedOn = ClusterFixture.Today.AddMonths(-2);
            var certificate = await fx.Driver.IssueCertificateAsync("15", fx.Driver.PickPerson("15", EnrolmentState.Suspended), acceptedOn);
            var accepted = await fx.Driver.SubmitAsync("51", certificate, acceptedOn);

            Assert.True(accepted.Overdue);
            var overall = accepted.Deadlines.Single(d => d.Step == "OVERALL");
            Assert.True(overall.Overdue);
            Assert.Equal("51", overall.GoverningProvince);
            Assert.Equal(24, overall.WorkingDays); // Sichuan: whole transfer within 24 working days

            var overdue = new List<string>();
            var token = "";
            do
            {
                var page = await fx.Driver.Client("51").ListTransfersAsync(new ListTransfersRequest { OverdueOnly = true, PageSize = 50, PageToken = token });
                Assert.All(page.Transfers, t => Assert.True(t.Overdue));
                overdue.AddRange(page.Transfers.Select(t => t.TransferId));
                token = page.NextPageToken;
            } while (token != "");
            Assert.Contains(accepted.TransferId, overdue);
            await fx.Driver.Client("51").WithdrawTransferAsync(new WithdrawTransferRequest { TransferId = accepted.TransferId }, TransferDriver.Key());
        }
        finally
        {
            simulator.Resume();
        }
    }

    [Fact]
    public async Task A_credit_of_another_amount_is_recorded_and_held_for_operators()
    {
        var destinationSimulator = fx.Cluster["51"].Simulator!;
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        destinationSimulator.Pause(); // the destination's clerks answer the credit item by hand below
        try
        {
            var certificate = await fx.Driver.IssueCertificateAsync("15", person, ClusterFixture.Today);
            var accepted = await fx.Driver.SubmitAsync("51", certificate, ClusterFixture.Today);
            await fx.Driver.WaitForStateAsync("51", accepted.TransferId, Timeout, TransferState.InfoTableSent);
            var itemId = $"{accepted.TransferId}:credit";
            var workItems = new WorkItemService.WorkItemServiceClient(fx.Cluster["51"].Channel);
            var answer = new AnswerWorkItemRequest { ItemId = itemId, CreditBalance = new CreditBalanceAnswer { CreditedAmountFen = person.BalanceFen + 1 } };

            var reply = await workItems.AnswerWorkItemAsync(answer, TransferDriver.Key());
            var again = await workItems.AnswerWorkItemAsync(answer, TransferDriver.Key());

            Assert.False(reply.AlreadyAnswered);
            Assert.True(again.AlreadyAnswered);
            var view = await fx.Driver.Client("51").GetTransferAsync(new GetTransferRequest { TransferId = accepted.TransferId });
            Assert.Equal(TransferState.InfoTableSent, view.State);
            Assert.True(view.Held);
            Assert.StartsWith("AMOUNT_MISMATCH", view.HoldReason);
            Assert.Contains(view.Timeline, e => e.Event == "Held" && e.Detail.StartsWith("AMOUNT_MISMATCH"));
            Assert.Equal(0, await fx.CountAsync("51", "SELECT count(*) FROM outbox WHERE correlation_id = @id AND message_type = 'TransferCompleted'", ("id", accepted.TransferId)));
        }
        finally
        {
            destinationSimulator.Resume();
            // If the paused simulator had already received the item, let it finish (it gets AlreadyAnswered)
            // before the next test measures balances.
            try { await destinationSimulator.WaitForAnsweredAsync(a => a.Item.Kind == WorkItemKind.CreditBalance && a.AlreadyAnswered, TimeSpan.FromSeconds(3)); }
            catch (TimeoutException) { }
        }
    }
}
