using Gateway.Contracts.Transfer.V1;
using Gateway.Node.Exchange;
using Gateway.Node.Transfers;
using Gateway.ProvinceSimulator;

namespace Gateway.Harness.Tests;

/// <summary>
/// A receiver that never comes back: re-sending stops when the budget is used up and the exchange is marked
/// failed for operators instead of retrying forever. Own in-process cluster with a budget of two sends.
/// </summary>
public sealed class RetryBudgetTests : IAsyncLifetime
{
    private const string Origin = "15", Destination = "51";
    private const int Budget = 2;
    private GatewayCluster _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = [Origin, Destination],
            UseRedis = false,
            StartSimulators = false, // nothing gets as far as a work item
            PeoplePerProvince = 5,
            NodeSettings = new Dictionary<string, string>
            {
                ["Gateway:ResendFirstDelay"] = "00:00:00.200",
                ["Gateway:ResendMaxDelay"] = "00:00:00.200",
                ["Gateway:ResendBudget"] = Budget.ToString(),
                ["Gateway:OutboxPollInterval"] = "00:00:00.100",
            },
        });

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Exchange_marked_failed_when_retry_budget_runs_out()
    {
        var driver = new TransferDriver(_cluster);
        var today = TransferDriver.Today;
        var person = driver.PickPerson(Origin, EnrolmentState.Suspended);
        var certificate = await driver.IssueCertificateAsync(Origin, person, today);
        await _cluster[Origin].StopAsync(); // for good

        var transferId = (await driver.SubmitAsync(Destination, certificate, today)).TransferId;
        Transfer view = null!;
        await NodeDb.WaitUntilAsync(async () =>
        {
            view = await driver.Client(Destination).GetTransferAsync(new GetTransferRequest { TransferId = transferId });
            return view.ExchangeFailed;
        }, TimeSpan.FromSeconds(30), "the exchange to be marked failed");

        Assert.Equal(TransferState.LetterSent, view.State);
        Assert.Contains(view.Timeline, e => e.Event == "ExchangeFailed" && e.Detail.Contains("no receipt"));
        var db = new NodeDb(_cluster[Destination].ConnectionString);
        var letterId = EnvelopeFactory.StepMessageId(Destination, transferId, Steps.Letter);
        var (status, attempts, error) = (await db.QueryAsync("SELECT status, attempts, last_error FROM outbox WHERE message_id = @id",
            r => (r.GetString(0), r.GetInt32(1), r.GetString(2)), ("id", letterId))).Single();
        Assert.Equal("failed", status);
        Assert.Equal(Budget, attempts);
        Assert.Contains("retry budget", error);
        var history = await db.QueryAsync("SELECT outcome FROM outbox_attempts WHERE message_id = @id ORDER BY id", r => r.GetString(0), ("id", letterId));
        Assert.Equal(["published", "published", "failed"], history);
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM audit_log WHERE action = 'exchange_failed' AND subject = @id", ("id", transferId)));

        // Failed means no more sends: the attempt count stays where the budget left it.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(Budget, await db.CountAsync("SELECT attempts FROM outbox WHERE message_id = @id", ("id", letterId)));
    }
}
