using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Grpc.Core;
using Npgsql;
using WorkItem = Gateway.Contracts.Transfer.V1.WorkItem;

namespace Gateway.Node.Tests;

/// <summary>Two nodes with no simulated province systems: the tests answer every work item themselves, as clerks.</summary>
public sealed class ManualClusterFixture : IAsyncLifetime
{
    public GatewayCluster Cluster { get; private set; } = null!;
    public TransferDriver Driver { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions { Provinces = ["15", "51"], StartSimulators = false, PeoplePerProvince = 40 });
        Driver = new TransferDriver(Cluster);
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    public WorkItemService.WorkItemServiceClient WorkItems(string province) => new(Cluster[province].Channel);

    /// <summary>Waits until the node holds the work item (it is created when an envelope arrives over Kafka).</summary>
    public Task ItemExistsAsync(string province, string itemId) => ItemAsync(province, itemId);

    /// <summary>Waits until the node has the work item, and returns it as the province system would receive it.</summary>
    public async Task<WorkItem> ItemAsync(string province, string itemId)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            await using var conn = new NpgsqlConnection(Cluster[province].ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT payload FROM work_items WHERE item_id = @id", conn);
            cmd.Parameters.AddWithValue("id", itemId);
            if (await cmd.ExecuteScalarAsync() is byte[] payload) return WorkItem.Parser.ParseFrom(payload);
            await Task.Delay(50);
        }
        throw new TimeoutException($"No work item {itemId} at node {province}.");
    }

    public Task<long> CountAsync(string province, string sql, params (string Name, object Value)[] parameters) =>
        NodeRows.CountAsync(Cluster[province].ConnectionString, sql, parameters);
}

public sealed class ManualClerkTests(ManualClusterFixture fx) : IClassFixture<ManualClusterFixture>
{
    private static DateOnly Today => TransferDriver.Today;

    /// <summary>Certificate, application, and the origin's clerk confirms the person is suspended: the debit item follows.</summary>
    private async Task<(string TransferId, SyntheticPerson Person, SubmitApplicationRequest Request, WorkItem BuildItem)> UpToDebitAsync()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var certificate = await fx.Driver.IssueCertificateAsync("15", person, Today);
        var request = fx.Driver.BuildApplication("51", certificate, Today);
        var transferId = (await fx.Driver.Client("51").SubmitApplicationAsync(request, TransferDriver.Key())).TransferId;
        var check = await fx.ItemAsync("15", $"{transferId}:check-origin");
        await fx.WorkItems("15").AnswerWorkItemAsync(new AnswerWorkItemRequest
        {
            ItemId = check.ItemId,
            OriginEnrolment = new OriginEnrolmentAnswer { Status = EnrolmentStatus.Suspended },
        }, TransferDriver.Key());
        return (transferId, person, request, await fx.ItemAsync("15", $"{transferId}:build-table"));
    }

    private static InformationTable TableOf(SyntheticPerson person, ProvinceDocuments docs)
    {
        var agency = docs.BuildAgency(person.PoolingRegion);
        var table = new InformationTable
        {
            Person = person.ToProto(), AmountFen = person.BalanceFen, Agency = agency, Handler = agency.Contact,
            HandlerPhone = agency.Phone, IssuedOn = Today.ToString("yyyy-MM-dd"),
        };
        table.Rows.AddRange(person.Periods.Select(p => p.ToProto()));
        return table;
    }

    [Fact]
    public async Task Debit_item_and_origin_view_say_where_the_money_goes()
    {
        var (transferId, _, request, build) = await UpToDebitAsync();

        Assert.Equal(request.DestinationAccount, build.DestinationAccount);
        Assert.Equal(request.DestinationAgency.Admdvs, build.DestinationAgency.Admdvs);
        var originView = await fx.Driver.Client("15").GetTransferAsync(new GetTransferRequest { TransferId = transferId });
        Assert.Equal(request.DestinationAccount.AccountNumber, originView.DestinationAccount.AccountNumber);
        Assert.Equal(request.DestinationAccount.BankCode, originView.DestinationAccount.BankCode);
    }

    [Fact]
    public async Task Information_table_that_fails_validation_after_the_debit_is_recorded_and_the_transfer_held()
    {
        var (transferId, person, _, build) = await UpToDebitAsync();
        var table = TableOf(person, new ProvinceDocuments(fx.Cluster["15"].Registry.Profile));
        table.Rows[0].PaidMonths = 1_000_000; // the books say more months than a period holds

        var reply = await fx.WorkItems("15").AnswerWorkItemAsync(new AnswerWorkItemRequest
        {
            ItemId = build.ItemId,
            InformationTable = new InformationTableAnswer { Table = table, TransferredAmountFen = person.BalanceFen },
        }, TransferDriver.Key());

        Assert.True(reply.Held);
        Assert.StartsWith("INVALID_TABLE_AFTER_DEBIT", reply.HoldReason);
        Assert.Contains("paid_months", reply.HoldReason);
        var view = await fx.Driver.Client("15").GetTransferAsync(new GetTransferRequest { TransferId = transferId });
        Assert.True(view.Held);
        Assert.Equal(TransferState.LetterSent, view.State);
        Assert.Equal(1, await fx.CountAsync("15", "SELECT count(*) FROM work_items WHERE item_id = @id AND status = 'answered' AND answer IS NOT NULL", ("id", build.ItemId)));
        Assert.Equal(0, await fx.CountAsync("15", "SELECT count(*) FROM outbox WHERE correlation_id = @id AND message_type = 'InformationTableSent'", ("id", transferId)));
    }

    [Fact]
    public async Task Destination_decides_benefit_continuity_hands_it_with_the_credit_item_and_shows_it()
    {
        var (transferId, person, _, build) = await UpToDebitAsync();
        var table = TableOf(person, new ProvinceDocuments(fx.Cluster["15"].Registry.Profile));
        await fx.WorkItems("15").AnswerWorkItemAsync(new AnswerWorkItemRequest
        {
            ItemId = build.ItemId,
            InformationTable = new InformationTableAnswer { Table = table, TransferredAmountFen = person.BalanceFen },
        }, TransferDriver.Key());

        var credit = await fx.ItemAsync("51", $"{transferId}:credit");
        var lastPaid = Gateway.Domain.Values.YearMonth.FromDate(person.Periods.Max(p => p.ToMonth));
        Assert.NotNull(credit.Continuity);
        Assert.Equal(lastPaid.ToString(), credit.Continuity.LastPaidMonth);
        Assert.Equal($"{Today:yyyy-MM}", credit.Continuity.NewStartMonth);
        var gap = Math.Max(0, lastPaid.MonthsUntil(Gateway.Domain.Values.YearMonth.FromDate(Today)) - 1);
        Assert.Equal(gap, credit.Continuity.GapMonths);
        Assert.Equal(gap == 0 ? ContinuityOutcome.Continuous : gap <= 3 ? ContinuityOutcome.BackPaymentNoWaiting : ContinuityOutcome.WaitingPeriod,
            credit.Continuity.Outcome);

        await fx.WorkItems("51").AnswerWorkItemAsync(new AnswerWorkItemRequest
        {
            ItemId = credit.ItemId, CreditBalance = new CreditBalanceAnswer { CreditedAmountFen = person.BalanceFen },
        }, TransferDriver.Key());
        var done = await fx.Driver.WaitForStateAsync("51", transferId, TimeSpan.FromSeconds(30), TransferState.Completed);
        Assert.Equal(credit.Continuity, done.Continuity);
    }

    [Fact]
    public async Task Resident_identity_number_with_a_lower_case_check_character_is_accepted_and_normalised()
    {
        var person = fx.Cluster["15"].Registry.People.Last(p => p.IdentityNumber.EndsWith('X') && p.Periods.Count > 0 && p.BalanceFen > 0);
        var docs = new ProvinceDocuments(fx.Cluster["15"].Registry.Profile);
        var certificate = docs.BuildCertificate(person, null, Today);
        certificate.Person.Certno = certificate.Person.Certno.ToLowerInvariant();

        var issued = await fx.Driver.Client("15").IssueCertificateAsync(new IssueCertificateRequest { Certificate = certificate }, TransferDriver.Key());

        Assert.Equal(person.IdentityNumber, issued.Person.Certno);
    }

    [Fact]
    public async Task List_filtered_by_a_state_the_api_does_not_define_is_refused()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            fx.Driver.Client("51").ListTransfersAsync(new ListTransfersRequest { State = (TransferState)77 }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("state", ErrorDetails.Fields(ex));
    }
}
