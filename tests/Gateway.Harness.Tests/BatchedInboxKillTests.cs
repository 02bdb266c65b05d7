using Gateway.Contracts.Transfer.V1;
using Gateway.ProvinceSimulator;
using static Gateway.Harness.Tests.ProcessClusterFixture;

namespace Gateway.Harness.Tests;

/// <summary>
/// SIGKILL the origin while its inbox is applying a burst of contact letters in batches, partitions side by side,
/// with offsets committed in the background: after the restart nothing is applied twice and nothing is lost.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class BatchedInboxKillTests(ProcessClusterFixture fx)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Origin_killed_mid_burst_applies_every_envelope_once_and_conserves_money()
    {
        const int count = 24;
        var origin = fx.Cluster[Origin];
        var db = fx.Db(Origin);
        var totalBefore = fx.TotalBalance();
        var people = Enumerable.Range(0, count).Select(_ => fx.Driver.PickPerson(Origin, EnrolmentState.Suspended)).ToList();
        var certificates = new List<Certificate>();
        foreach (var person in people) certificates.Add(await fx.Driver.IssueCertificateAsync(Origin, person, TransferDriver.Today));
        var ids = (await Task.WhenAll(certificates.Select(c => fx.Driver.SubmitAsync(Destination, c, TransferDriver.Today)))).Select(t => t.TransferId).ToList();

        // Kill once some letters are applied and others are not yet.
        await NodeDb.WaitUntilAsync(async () => await db.CountAsync("SELECT count(*) FROM transfers WHERE transfer_id = ANY(@ids)", ("ids", ids.ToArray())) >= 3,
            Timeout, "the origin to apply the first letters");
        await origin.KillAsync();
        await origin.StartAsync();

        foreach (var id in ids)
        {
            await fx.Driver.WaitForStateAsync(Destination, id, Timeout, TransferState.Completed);
            await fx.Driver.WaitForStateAsync(Origin, id, Timeout, TransferState.Acknowledged);
        }
        foreach (var (province, type) in new[] { (Origin, "InformationTableSent"), (Destination, "ContactLetterSent"), (Destination, "TransferCompleted") })
            Assert.Equal(count, await fx.Db(province).CountAsync(
                "SELECT count(*) FROM outbox WHERE correlation_id = ANY(@ids) AND message_type = @t", ("ids", ids.ToArray()), ("t", type)));
        Assert.Equal(count, await db.CountAsync(
            "SELECT count(*) FROM work_items WHERE transfer_id = ANY(@ids) AND kind = 'BuildInformationTable' AND status = 'answered'", ("ids", ids.ToArray())));
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM dead_letters WHERE message_id LIKE ANY(@ids)",
            ("ids", ids.Select(i => $"%{i}%").ToArray())));
        Assert.Equal(totalBefore, fx.TotalBalance());
        foreach (var person in people) Assert.Equal(0, fx.Cluster[Origin].Registry.BalanceOf(person.IdentityNumber));
    }
}
