using CsCheck;
using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Sync.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using static Gateway.Node.Tests.ThreeProvinceFixture;

namespace Gateway.Node.Tests;

/// <summary>BackfillService on the three-province cluster: refusals, a run to the end, and a page nobody asked for.</summary>
[Collection(ThreeProvinceCollection.Name)]
public sealed class BackfillCallTests(ThreeProvinceFixture fx)
{
    private BackfillService.BackfillServiceClient Client(string province) => new(fx.Cluster[province].Channel);

    [Theory]
    [InlineData(new[] { "51" }, new string[0], "a reason", "owner_provinces[0]")]   // its own province
    [InlineData(new[] { "44" }, new string[0], "a reason", "owner_provinces[0]")]   // not a member of this exchange
    [InlineData(new[] { "5x" }, new string[0], "a reason", "owner_provinces[0]")]
    [InlineData(new string[0], new[] { "transfer" }, "a reason", "kinds[0]")]
    [InlineData(new string[0], new string[0], " ", "reason")]
    public async Task A_bad_start_is_refused_by_field_and_starts_nothing(string[] owners, string[] kinds, string reason, string field)
    {
        var before = await fx.CountAsync(Sichuan, "SELECT count(*) FROM backfill_runs");
        var request = new StartBackfillRequest { Reason = reason };
        request.OwnerProvinces.AddRange(owners);
        request.Kinds.AddRange(kinds);

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Sichuan).StartBackfillAsync(request, Key()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(field, ErrorDetails.Fields(ex));
        Assert.Equal(before, await fx.CountAsync(Sichuan, "SELECT count(*) FROM backfill_runs"));
    }

    [Fact]
    public async Task Unknown_runs_and_bad_page_tokens_are_refused()
    {
        var missing = await Assert.ThrowsAsync<RpcException>(() => Client(Sichuan).GetBackfillAsync(new GetBackfillRequest { RunId = "51Bnope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        var token = await Assert.ThrowsAsync<RpcException>(() => Client(Sichuan).ListBackfillsAsync(new ListBackfillsRequest { PageToken = "x|y" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, token.StatusCode);
        var size = await Assert.ThrowsAsync<RpcException>(() => Client(Sichuan).ListBackfillsAsync(new ListBackfillsRequest { PageSize = 101 }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, size.StatusCode);
    }

    [Fact]
    public async Task A_run_asked_of_one_owner_brings_back_every_filing_held_for_it_and_reports_it_done()
    {
        var filings = new[] { NewFiling(), NewFiling(), NewFiling() };
        foreach (var f in filings) await fx.Filings(Owner).CreateFilingAsync(new CreateFilingRequest { Filing = f }, Key());
        foreach (var f in filings) await fx.WaitForAsync(Sichuan, f.FilingId, 1);
        var held = await fx.CountAsync(Owner, "SELECT count(*) FROM filings WHERE owner_province = '15' AND destination_province = '51' AND NOT removed");

        var request = new StartBackfillRequest { Reason = "restored from last night's dump" };
        request.OwnerProvinces.Add(Owner);
        request.Kinds.Add("filing");
        var started = await Client(Sichuan).StartBackfillAsync(request, Key());
        Assert.Equal(("15", "filing", false), (started.Progress.Single().OwnerProvince, started.Progress.Single().Kind, started.Done));

        BackfillRun run = started;
        await WaitUntilAsync(async () => (run = await Client(Sichuan).GetBackfillAsync(new GetBackfillRequest { RunId = started.RunId })).Done,
            "the run to end");
        Assert.Equal(held, run.RecordsReceived);
        Assert.Equal(0, run.RecordsApplied); // every version was already here: the guard applied none again
        Assert.Equal("done", run.Progress.Single().State);
        Assert.Contains((await Client(Sichuan).ListBackfillsAsync(new ListBackfillsRequest { PageSize = 100 })).Runs, r => r.RunId == started.RunId);
    }

    [Fact]
    public async Task A_backfill_page_no_run_asked_for_is_dead_lettered_and_applies_nothing()
    {
        var filing = NewFiling();
        filing.Status = FilingStatus.Active;
        var page = new BackfillPage { RunId = "51Bforged", Kind = "filing", Last = true };
        page.Records.Add(new FilingChanged { OwnerProvince = Owner, Filing = filing, Version = 7, Action = FilingAction.New }.ToByteString());
        var envelope = new Envelope
        {
            MessageId = $"15:51Bforged:backfill-page:{Guid.NewGuid():N}", MessageType = BackfillPage.Descriptor.Name,
            SenderProvince = Owner, ReceiverProvince = Sichuan, CorrelationId = "51Bforged",
            SentAt = Timestamp.FromDateTime(DateTime.UtcNow), SchemaVersion = "1.0", Payload = page.ToByteString(), Attempt = 1,
        };
        var bytes = fx.Cluster.Keys.Signed(envelope); // signed by the owner: refused by the backfill rule, not the signature

        await fx.ProduceAsync(Sichuan, "forged", bytes);

        string? reason = null;
        await WaitUntilAsync(async () => (reason = (await fx.QueryAsync(Sichuan, "SELECT reason FROM dead_letters WHERE payload = @p",
            r => r.GetString(0), ("p", bytes))).FirstOrDefault()) is not null, "the forged page's dead letter");
        Assert.StartsWith("BACKFILL_NOT_ASKED", reason);
        Assert.Equal(0, await fx.CountAsync(Sichuan, "SELECT count(*) FROM filings WHERE filing_id = @id", ("id", filing.FilingId)));
    }

    private static Gen<string> Pick(params string[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    [Fact]
    public async Task Generated_bad_starts_are_refused_with_field_violations_and_start_nothing()
    {
        // Each case spoils at least one of owners, kinds or reason; the rest may be valid.
        var badOwner = Pick("51", "44", "5x", "", "1", "151", "15\u0000", new string('1', 300));
        var goodOwner = Pick("15", "11");
        var badKind = Pick("transfer", "", "FILING", "filing ", new string('k', 300));
        var goodKind = Pick("filing", "enrolment");
        var badReason = Pick("", " ", new string('r', 201));
        var gen = Gen.Select(Gen.Int[0, 6], goodOwner.Array[0, 2], badOwner.Array[1, 2], goodKind.Array[0, 2], badKind.Array[1, 2], badReason);
        var before = await fx.CountAsync(Sichuan, "SELECT count(*) FROM backfill_runs");
        var count = 0;
        await gen.SampleAsync(async (mask, goodOwners, badOwners, goodKinds, badKinds, reason) =>
        {
            count++;
            var spoilOwners = (mask & 1) != 0 || mask == 0;
            var spoilKinds = (mask & 2) != 0;
            var spoilReason = (mask & 4) != 0;
            var request = new StartBackfillRequest { Reason = spoilReason ? reason : "restored node" };
            request.OwnerProvinces.AddRange(spoilOwners ? goodOwners.Concat(badOwners) : goodOwners);
            request.Kinds.AddRange(spoilKinds ? goodKinds.Concat(badKinds) : goodKinds);

            var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Sichuan).StartBackfillAsync(request, Key()).ResponseAsync);

            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            Assert.NotEmpty(ErrorDetails.Fields(ex));
        }, iter: 120, threads: 1);
        Assert.Equal(120, count);
        Assert.Equal(before, await fx.CountAsync(Sichuan, "SELECT count(*) FROM backfill_runs"));
    }
}
