using Gateway.Contracts.Ops.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;

namespace Gateway.Node.Tests;

/// <summary>Two nodes whose origin (15) runs on a clock the test moves, and whose province systems it can pause.</summary>
public sealed class MovableClockFixture : IAsyncLifetime
{
    public ShiftableClock OriginClock { get; } = new();
    public GatewayCluster Cluster { get; private set; } = null!;
    public TransferDriver Driver { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = ["15", "51"], PeoplePerProvince = 20,
            Clocks = new Dictionary<string, TimeProvider> { ["15"] = OriginClock },
            // The tests move 15's clock by weeks: a window that wide keeps its envelopes fresh at 51 (and 51's at 15).
            NodeSettings = new Dictionary<string, string> { ["Gateway:Signing:FreshnessAhead"] = "400.00:00:00", ["Gateway:Signing:FreshnessPast"] = "400.00:00:00" },
        });
        Driver = new TransferDriver(Cluster);
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }
}

/// <summary>Overdue is judged at the node's current instant, through its clock: moving the clock moves the verdict.</summary>
public sealed class ClockTests(MovableClockFixture fx) : IClassFixture<MovableClockFixture>
{
    [Fact]
    public async Task Moving_the_origins_clock_past_the_information_table_deadline_shows_the_transfer_overdue_with_its_rule()
    {
        var origin = fx.Cluster["15"];
        origin.Simulator!.Pause(); // the origin's clerks never build the information table
        try
        {
            var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
            var certificate = await fx.Driver.IssueCertificateAsync("15", person, TransferDriver.Today);
            var accepted = await fx.Driver.SubmitAsync("51", certificate, TransferDriver.Today);
            var before = await fx.Driver.WaitForStateAsync("15", accepted.TransferId, TimeSpan.FromSeconds(60), TransferState.LetterSent);
            Assert.False(before.Overdue);
            var step = before.Deadlines.First(d => d.GoverningProvince == "15" && !d.Met);

            fx.OriginClock.Advance(TimeSpan.FromDays(45)); // weeks later, nothing answered

            var after = await fx.Driver.Client("15").GetTransferAsync(new GetTransferRequest { TransferId = accepted.TransferId });
            Assert.True(after.Overdue);
            var late = after.Deadlines.Single(d => d.Step == step.Step);
            Assert.True(late.Overdue);
            Assert.Equal((step.DueOn, "15"), (late.DueOn, late.GoverningProvince));

            var ops = new OpsService.OpsServiceClient(origin.Channel);
            var listed = await ops.ListExchangesAsync(new ListExchangesRequest { Condition = Condition.Overdue, PageSize = 500 });
            var entry = Assert.Single(listed.Entries, e => e.TransferId == accepted.TransferId);
            var overdue = Assert.Single(entry.Overdue, o => o.Step == step.Step);
            Assert.Equal((step.DueOn, "15"), (overdue.DueOn, overdue.GoverningProvince));

            // The destination's clock did not move: there it is not overdue yet.
            var destination = await fx.Driver.Client("51").GetTransferAsync(new GetTransferRequest { TransferId = accepted.TransferId });
            Assert.False(destination.Overdue);
        }
        finally
        {
            origin.Simulator!.Resume();
        }
    }
}
