using Gateway.Contracts.Sync.V1;
using Google.Protobuf;
using Gateway.Harness.Simulation;
using Gateway.Harness.Simulation.Invariants;

namespace Gateway.Harness.Tests.Simulation;

/// <summary>
/// The checks can fail: after the short scenario each test damages the cluster the way a bug would, and the named
/// invariant fails with a counterexample naming the transfer, envelope or record. Each breaks something different, so
/// the order of the tests does not matter.
/// </summary>
[Collection(SimulationCollection.Name)]
public sealed class BrokenInvariantTests(SimulationFixture fx)
{
    [Fact]
    public async Task A_double_credit_breaks_MoneyConserved_naming_the_person_and_the_transfer()
    {
        var run = Completed(skip: 0);
        var registry = fx.Cluster[run.Destination].Registry;
        // The credit of this transfer applied a second time under another item id, as a province system that ignores ids would.
        registry.Credit($"break-double-credit-{Guid.NewGuid():N}", run.Certno, 12_345);

        var result = await new MoneyConserved().CheckAsync(fx.State, default);

        Assert.False(result.Passed);
        var example = Assert.Single(result.Counterexamples, c => c.Contains(run.TransferId!));
        Assert.Contains("+12345 fen", example);
        Assert.Contains(SimulationState.Mask(run.Certno), example);
        Assert.DoesNotContain(run.Certno, example); // identity numbers masked
    }

    [Fact]
    public async Task A_lost_envelope_breaks_EnvelopesDelivered_naming_the_envelope_and_its_transfer()
    {
        var run = Completed(skip: 1);
        var sender = fx.State.Db(run.Destination);
        var letter = (await sender.QueryAsync("SELECT message_id FROM outbox WHERE correlation_id = @t AND message_type = 'ContactLetterSent' AND status = 'delivered'",
            r => r.GetString(0), ("t", run.TransferId!))).Single();
        // The origin's inbox forgets it ever received the letter its sender holds as acknowledged.
        Assert.Equal(1, await fx.State.Db(run.Origin).ExecuteAsync("DELETE FROM inbox WHERE message_id = @id", ("id", letter)));

        var result = await new EnvelopesDelivered().CheckAsync(fx.State, default);

        Assert.False(result.Passed);
        var example = Assert.Single(result.Counterexamples, c => c.Contains(letter));
        Assert.Contains(run.TransferId!, example);
        Assert.Contains($"not in {run.Origin}'s inbox", example);
    }

    [Fact]
    public async Task A_replica_edited_behind_the_owners_back_breaks_ReplicasMatchOwner_naming_the_filing()
    {
        var (careProvince, owner, filingId, document) = (await HeldReplicasAsync()).First();
        var edited = Filing.Parser.ParseFrom(document);
        edited.CareAddress += "（改）";
        Assert.Equal(1, await fx.State.Db(careProvince).ExecuteAsync(
            "UPDATE filings SET document = @d WHERE owner_province = @o AND filing_id = @f", ("d", edited.ToByteArray()), ("o", owner), ("f", filingId)));

        var result = await new ReplicasMatchOwner().CheckAsync(fx.State, default);

        Assert.False(result.Passed);
        var example = Assert.Single(result.Counterexamples, c => c.Contains($"{owner}:{filingId}"));
        Assert.Contains($"{careProvince}'s copy differs", example);
    }

    private TransferRun Completed(int skip) =>
        fx.State.Transfers.Where(t => t.TransferId is not null && t.Plan == TransferPlan.Complete && t.Origin != t.Destination)
            .OrderBy(t => t.Index).Skip(skip).First();

    private async Task<List<(string Care, string Owner, string FilingId, byte[] Document)>> HeldReplicasAsync()
    {
        var all = new List<(string, string, string, byte[])>();
        foreach (var node in fx.State.Nodes)
            all.AddRange(await fx.State.Db(node.Province).QueryAsync(
                "SELECT owner_province, filing_id, document FROM filings WHERE owner_province <> @p AND NOT removed ORDER BY filing_id",
                r => (node.Province, r.GetString(0), r.GetString(1), r.GetFieldValue<byte[]>(2)), ("p", node.Province)));
        Assert.NotEmpty(all);
        return all;
    }
}
