using Gateway.Contracts.Sync.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Grpc.Core;

namespace Gateway.Node.Tests;

/// <summary>
/// A province joins a running three-node exchange by configuration alone: its topics, its directory entry and its
/// node. The other nodes are not restarted and no code changes (docs/operations.md, "Onboarding a province").
/// </summary>
public sealed class OnboardingTests
{
    private const string Newcomer = "44";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_fourth_province_added_to_the_directory_exchanges_transfers_and_backfills_its_records_without_restarting_the_others()
    {
        await using var cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = ["15", "51", "11"], PeoplePerProvince = 30,
            // A real exchange lists all 32 members from the start; the directory says which of them are live.
            ExchangeProvinces = ["11", "15", "44", "51"],
        });
        var driver = new TransferDriver(cluster);
        var sync = new SyncDriver(cluster);
        var today = TransferDriver.Today;
        var running = cluster.Nodes.Values.Select(n => n.Services!).ToList();

        // Before it joins, 15 files care in Guangdong for two of its people: 44 is not in the directory yet.
        var people = cluster["15"].Registry.People.Take(2).ToList();
        var filings = new List<FilingView>();
        foreach (var person in people)
        {
            var filing = SyncDriver.BuildFiling(person, Newcomer, "440100", "440106", FilingCategory.LongTermResident, "广东省广州市天河区某路3号", today);
            filings.Add(await sync.CreateFilingAsync("15", filing));
        }

        var newcomer = await cluster.JoinAsync(Newcomer);

        // The same node instances as before: nothing was restarted to take the newcomer in.
        Assert.Equal(running, cluster.Nodes.Where(n => n.Key != Newcomer).Select(n => n.Value.Services!).ToList());

        // A transfer from 15 to the newcomer, and one from the newcomer to 51, run to the end.
        var (toNewcomer, _) = await driver.RunAsync("15", Newcomer, driver.PickPerson("15", EnrolmentState.Suspended), today, Timeout);
        Assert.Equal(TransferState.Completed, toNewcomer.State);
        var (fromNewcomer, fromOrigin) = await driver.RunAsync(Newcomer, "51", driver.PickPerson(Newcomer, EnrolmentState.Suspended), today, Timeout);
        Assert.Equal(TransferState.Completed, fromNewcomer.State);
        Assert.Equal(TransferState.Acknowledged, fromOrigin.State);

        // It asks the owner for what it should hold, and gets the filings made before it joined, at the owner's version.
        var request = new StartBackfillRequest { Reason = "new member of the exchange" };
        request.OwnerProvinces.Add("15");
        request.Kinds.Add("filing");
        var backfill = new BackfillService.BackfillServiceClient(newcomer.Channel);
        var started = await backfill.StartBackfillAsync(request, TransferDriver.Key());
        var run = started;
        var until = DateTime.UtcNow + Timeout;
        while (!(run = await backfill.GetBackfillAsync(new GetBackfillRequest { RunId = started.RunId })).Done)
        {
            Assert.True(DateTime.UtcNow < until, "the newcomer's backfill did not end");
            await Task.Delay(200);
        }
        Assert.Equal("done", run.Progress.Single().State);
        Assert.True(run.RecordsReceived >= filings.Count, $"received {run.RecordsReceived} of {filings.Count} filings");
        foreach (var filing in filings)
        {
            var held = await sync.WaitForFilingAsync(Newcomer, "15", filing.Filing.FilingId, filing.Version, Timeout);
            Assert.NotNull(held);
            Assert.Equal(filing.Version, held!.Version);
        }

        // Nothing was refused on the way: no node dead-lettered an envelope from or for the newcomer.
        foreach (var node in cluster.Nodes.Values)
            Assert.Equal(0, await NodeRows.CountAsync(node.ConnectionString, "SELECT count(*) FROM dead_letters"));
    }
}
