using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Records;
using Gateway.Domain.Values;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using static Gateway.Node.Tests.ThreeProvinceFixture;

namespace Gateway.Node.Tests;

/// <summary>
/// Filings sync from the owner (15) to the province of care only, in order, version-guarded, against three real nodes,
/// the embedded broker and PostgreSQL; WatchRecords replays the change log from a cursor exactly once.
/// </summary>
[Collection(ThreeProvinceCollection.Name)]
public sealed class FilingSyncTests(ThreeProvinceFixture fx)
{
    [Fact]
    public async Task A_filing_created_at_the_owner_is_delivered_to_its_province_of_care_and_to_no_other()
    {
        var filing = NewFiling();
        var created = await fx.Filings(Owner).CreateFilingAsync(new CreateFilingRequest { Filing = filing }, Key());
        Assert.Equal((1L, FilingStatus.Active, FilingScope.Owned, Sichuan, Owner), (created.Version, created.Status, created.Scope, created.DeliveredTo, created.OwnerProvince));

        var held = await fx.WaitForAsync(Sichuan, filing.FilingId, 1);
        Assert.Equal((1L, FilingStatus.Active, FilingScope.Held, Owner), (held.Version, held.Status, held.Scope, held.OwnerProvince));
        Assert.Equal(filing.CareAddress, held.Filing.CareAddress);
        Assert.Equal(filing.Person.Certno, held.Filing.Person.Certno);

        var mine = await fx.Filings(Sichuan).GetPersonFilingsAsync(new GetPersonFilingsRequest { PsnCertType = "01", Certno = filing.Person.Certno });
        Assert.Equal(filing.FilingId, Assert.Single(mine.Filings).Filing.FilingId);
        var notHere = await Assert.ThrowsAsync<RpcException>(() =>
            fx.Filings(Beijing).GetFilingAsync(new GetFilingRequest { OwnerProvince = Owner, FilingId = filing.FilingId }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, notHere.StatusCode);
        Assert.Equal(0, await fx.CountAsync(Beijing, "SELECT count(*) FROM filings WHERE filing_id = @id", ("id", filing.FilingId)));
        Assert.Equal(0, await fx.CountAsync(Owner, "SELECT count(*) FROM outbox WHERE correlation_id = @c AND receiver <> @r",
            ("c", $"{Owner}F{filing.FilingId}"), ("r", Sichuan)));

        // The envelope is keyed by the person and acknowledged by the province of care's receipt.
        var personKey = PersonKey.Of(new IdentityNumber(CertificateDocumentType.ResidentIdentityCard, filing.Person.Certno)).Value;
        Assert.Equal(1, await fx.CountAsync(Owner, "SELECT count(*) FROM outbox WHERE correlation_id = @c AND message_key = @k",
            ("c", $"{Owner}F{filing.FilingId}"), ("k", personKey)));
        await WaitUntilAsync(async () => await fx.CountAsync(Owner, "SELECT count(*) FROM outbox WHERE correlation_id = @c AND status = 'delivered'",
            ("c", $"{Owner}F{filing.FilingId}")) == 1, "the receipt of the filing's envelope");
        Assert.Equal(0, await fx.CountAsync(Sichuan, "SELECT count(*) FROM filings WHERE filing_id = @id AND person_key <> @k",
            ("id", filing.FilingId), ("k", personKey)));
    }

    [Fact]
    public async Task A_filing_for_care_in_Beijing_names_the_province_only()
    {
        var filing = NewFiling();
        filing.DestinationProvince = Beijing;
        filing.DestinationCity = "110100";
        filing.DestinationCounty = "";
        var refused = await Assert.ThrowsAsync<RpcException>(() => fx.Filings(Owner).CreateFilingAsync(new CreateFilingRequest { Filing = filing }, Key()).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal(["filing.destination_city"], ErrorDetails.Fields(refused));

        filing.DestinationCity = "";
        var created = await fx.Filings(Owner).CreateFilingAsync(new CreateFilingRequest { Filing = filing }, Key());
        Assert.Equal(Beijing, created.DeliveredTo);
        var held = await fx.WaitForAsync(Beijing, filing.FilingId, 1);
        Assert.Equal("", held.Filing.DestinationCity);
        Assert.Equal(0, await fx.CountAsync(Sichuan, "SELECT count(*) FROM filings WHERE filing_id = @id", ("id", filing.FilingId)));
    }

    [Fact]
    public async Task Change_suspend_resume_and_terminate_arrive_at_the_province_of_care_in_order()
    {
        var client = fx.Filings(Owner);
        var filing = NewFiling();
        var v = await client.CreateFilingAsync(new CreateFilingRequest { Filing = filing }, Key());
        var changed = filing.Clone();
        changed.CareAddress = "四川省德阳市旌阳区另一路3号";
        v = await client.ChangeFilingAsync(new ChangeFilingRequest { Filing = changed, ExpectedVersion = v.Version }, Key());
        v = await client.SuspendFilingAsync(new SuspendFilingRequest { FilingId = filing.FilingId, ExpectedVersion = v.Version, Reason = "住院结束" }, Key());
        Assert.Equal(FilingStatus.Suspended, v.Status);
        v = await client.ResumeFilingAsync(new ResumeFilingRequest { FilingId = filing.FilingId, ExpectedVersion = v.Version }, Key());
        Assert.Equal(FilingStatus.Active, v.Status);
        v = await client.TerminateFilingAsync(new TerminateFilingRequest { FilingId = filing.FilingId, ExpectedVersion = v.Version, Reason = "返回参保地" }, Key());
        Assert.Equal((5L, FilingStatus.Terminated), (v.Version, v.Status));

        var held = await fx.WaitForAsync(Sichuan, filing.FilingId, 5);
        Assert.Equal((5L, FilingStatus.Terminated, FilingAction.Terminate, "返回参保地"), (held.Version, held.Status, held.LastAction, held.LastReason));
        Assert.Equal(FilingStatus.Terminated, held.Filing.Status);
        Assert.Equal(changed.CareAddress, held.Filing.CareAddress);
        // Each version was applied once, in order: none arrived after a newer one (it would have been skipped).
        var applied = await fx.QueryAsync(Sichuan, "SELECT version FROM record_changes WHERE owner_province = @o AND record_id = @id ORDER BY id",
            r => r.GetInt64(0), ("o", Owner), ("id", filing.FilingId));
        Assert.Equal([1L, 2, 3, 4, 5], applied);
        var owned = await fx.QueryAsync(Owner, "SELECT version FROM record_changes WHERE owner_province = @o AND record_id = @id ORDER BY id",
            r => r.GetInt64(0), ("o", Owner), ("id", filing.FilingId));
        Assert.Equal([1L, 2, 3, 4, 5], owned);
    }

    [Fact]
    public async Task Moving_the_destination_removes_the_filing_from_the_old_province_of_care_and_delivers_it_to_the_new()
    {
        var client = fx.Filings(Owner);
        var filing = NewFiling();
        await client.CreateFilingAsync(new CreateFilingRequest { Filing = filing }, Key());
        await fx.WaitForAsync(Sichuan, filing.FilingId, 1);

        var moved = await client.ChangeFilingAsync(new ChangeFilingRequest { Filing = MovedToBeijing(filing), ExpectedVersion = 1 }, Key());
        Assert.Equal((2L, Beijing), (moved.Version, moved.DeliveredTo));

        var atBeijing = await fx.WaitForAsync(Beijing, filing.FilingId, 2);
        Assert.Equal((FilingScope.Held, Beijing), (atBeijing.Scope, atBeijing.Filing.DestinationProvince));
        await WaitUntilAsync(async () => await fx.CountAsync(Sichuan, "SELECT count(*) FROM filings WHERE filing_id = @id AND removed AND version = 2",
            ("id", filing.FilingId)) == 1, "the tombstone at 51");
        var gone = await Assert.ThrowsAsync<RpcException>(() =>
            fx.Filings(Sichuan).GetFilingAsync(new GetFilingRequest { OwnerProvince = Owner, FilingId = filing.FilingId }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
        Assert.DoesNotContain(await ListAllAsync(Sichuan, new ListFilingsRequest { Scope = FilingScope.Held, CounterpartProvince = Owner }),
            f => f.Filing.FilingId == filing.FilingId);
        Assert.Contains(await ListAllAsync(Beijing, new ListFilingsRequest { Scope = FilingScope.Held, CounterpartProvince = Owner }),
            f => f.Filing.FilingId == filing.FilingId);
        Assert.Contains(await ListAllAsync(Owner, new ListFilingsRequest { Scope = FilingScope.Owned, CounterpartProvince = Beijing }),
            f => f.Filing.FilingId == filing.FilingId);
        Assert.Equal([RecordChangeLogUpsert, "removed"], await fx.QueryAsync(Sichuan,
            "SELECT change FROM record_changes WHERE owner_province = @o AND record_id = @id ORDER BY id", r => r.GetString(0),
            ("o", Owner), ("id", filing.FilingId)));
    }

    [Fact]
    public async Task An_older_version_delivered_after_a_newer_one_leaves_the_newest_state_and_cannot_resurrect_a_tombstone()
    {
        var client = fx.Filings(Owner);
        var kept = NewFiling();
        await client.CreateFilingAsync(new CreateFilingRequest { Filing = kept }, Key());
        var newer = kept.Clone();
        newer.CareAddress = "四川省德阳市旌阳区新址9号";
        await client.ChangeFilingAsync(new ChangeFilingRequest { Filing = newer, ExpectedVersion = 1 }, Key());
        await fx.WaitForAsync(Sichuan, kept.FilingId, 2);

        var moved = NewFiling();
        await client.CreateFilingAsync(new CreateFilingRequest { Filing = moved }, Key());
        await fx.WaitForAsync(Sichuan, moved.FilingId, 1);
        await client.ChangeFilingAsync(new ChangeFilingRequest { Filing = MovedToBeijing(moved), ExpectedVersion = 1 }, Key());
        await WaitUntilAsync(async () => await fx.CountAsync(Sichuan, "SELECT count(*) FROM filings WHERE filing_id = @id AND removed", ("id", moved.FilingId)) == 1,
            "the tombstone at 51");
        var logBefore = await fx.CountAsync(Sichuan, "SELECT count(*) FROM record_changes");

        // Version 1 of each again, from the real owner, with fresh message ids: both are acknowledged and ignored.
        var stale = new[] { Envelope(Owner, kept, 1, FilingAction.New), Envelope(Owner, moved, 1, FilingAction.New) };
        foreach (var e in stale) await fx.ProduceAsync(Sichuan, "stale", fx.Cluster.Keys.Signed(e));
        foreach (var e in stale)
            await WaitUntilAsync(async () => await fx.CountAsync(Sichuan, "SELECT count(*) FROM inbox WHERE message_id = @id", ("id", e.MessageId)) == 1,
                "the stale envelope's inbox row");

        var view = await fx.Filings(Sichuan).GetFilingAsync(new GetFilingRequest { OwnerProvince = Owner, FilingId = kept.FilingId });
        Assert.Equal((2L, newer.CareAddress), (view.Version, view.Filing.CareAddress));
        Assert.Equal(1, await fx.CountAsync(Sichuan, "SELECT count(*) FROM filings WHERE filing_id = @id AND removed AND version = 2", ("id", moved.FilingId)));
        Assert.Equal(logBefore, await fx.CountAsync(Sichuan, "SELECT count(*) FROM record_changes"));
        Assert.Equal(0, await fx.CountAsync(Sichuan, "SELECT count(*) FROM dead_letters WHERE message_id IN (@a, @b)", ("a", stale[0].MessageId), ("b", stale[1].MessageId)));
    }

    [Theory]
    [InlineData("44", "44", "SENDER_NOT_OWNER")]      // a stranger claims to own a filing insured in 15
    [InlineData("15", "44", "SENDER_NOT_OWNER")]      // the envelope's sender is not the owner it names
    [InlineData("11", "11", "SENDER_NOT_OWNER")]      // a province of care writing someone else's record
    public async Task A_FilingChanged_claiming_another_owner_is_dead_lettered_and_changes_nothing(string sender, string owner, string code)
    {
        var filing = NewFiling();
        await fx.Filings(Owner).CreateFilingAsync(new CreateFilingRequest { Filing = filing }, Key());
        await fx.WaitForAsync(Sichuan, filing.FilingId, 1);
        var forgedContent = filing.Clone();
        forgedContent.CareAddress = "伪造地址";
        forgedContent.Status = FilingStatus.Active;
        var forged = Envelope(sender, forgedContent, 9, FilingAction.Change, owner);
        var logBefore = await fx.CountAsync(Sichuan, "SELECT count(*) FROM record_changes");

        var bytes = fx.Cluster.Keys.Signed(forged); // signed by its sender: refused by the owner rules, not the signature
        await fx.ProduceAsync(Sichuan, "forged", bytes);
        string? reason = null;
        await WaitUntilAsync(async () => (reason = (await fx.QueryAsync(Sichuan, "SELECT reason FROM dead_letters WHERE payload = @p",
            r => r.GetString(0), ("p", bytes))).FirstOrDefault()) is not null, "the forged envelope's dead letter");
        Assert.StartsWith(code, reason);

        var view = await fx.Filings(Sichuan).GetFilingAsync(new GetFilingRequest { OwnerProvince = Owner, FilingId = filing.FilingId });
        Assert.Equal((1L, filing.CareAddress), (view.Version, view.Filing.CareAddress));
        Assert.Equal(logBefore, await fx.CountAsync(Sichuan, "SELECT count(*) FROM record_changes"));
        Assert.Equal(0, await fx.CountAsync(Sichuan, "SELECT count(*) FROM filings WHERE owner_province = @o", ("o", owner == Owner ? "none" : owner)));
        Assert.Equal(0, await fx.CountAsync(Sichuan, "SELECT count(*) FROM outbox WHERE message_type = 'Receipt' AND position(convert_to(@id, 'UTF8') in payload) > 0",
            ("id", forged.MessageId))); // never answered: the named sender may not have sent it
    }

    [Fact]
    public async Task An_upsert_for_another_province_of_care_is_dead_lettered_as_not_province_of_care()
    {
        var filing = NewFiling(); // for care in 51, sent to 11
        var forged = Envelope(Owner, WithStatus(filing), 1, FilingAction.New);
        forged.ReceiverProvince = Beijing;
        var bytes = fx.Cluster.Keys.Signed(forged); // signed by its sender: refused by the owner rules, not the signature
        await fx.ProduceAsync(Beijing, "forged", bytes);
        string? reason = null;
        await WaitUntilAsync(async () => (reason = (await fx.QueryAsync(Beijing, "SELECT reason FROM dead_letters WHERE payload = @p",
            r => r.GetString(0), ("p", bytes))).FirstOrDefault()) is not null, "the misrouted envelope's dead letter");
        Assert.StartsWith("NOT_PROVINCE_OF_CARE", reason);
        Assert.Equal(0, await fx.CountAsync(Beijing, "SELECT count(*) FROM filings WHERE filing_id = @id", ("id", filing.FilingId)));
    }

    [Fact]
    public async Task WatchRecords_resumed_from_the_last_seq_seen_gives_every_change_exactly_once_in_order()
    {
        var client = fx.Filings(Owner);
        var first = new[] { NewFiling(), NewFiling(), NewFiling() };
        foreach (var f in first) await client.CreateFilingAsync(new CreateFilingRequest { Filing = f }, Key());
        foreach (var f in first) await fx.WaitForAsync(Sichuan, f.FilingId, 1);

        // Read until the first filings were seen, then leave.
        var seen = new List<RecordChangeEvent>();
        await ReadAsync(0, seen, () => first.All(f => seen.Any(e => e.RecordId == f.FilingId)));
        Assert.All(seen.Where(e => first.Any(f => f.FilingId == e.RecordId)), e =>
        {
            Assert.Equal(("filing", Owner, "upsert", "gateway.sync.v1.Filing"), (e.Kind, e.OwnerProvince, e.Change, e.PayloadType));
            Assert.Equal(e.RecordId, e.Filing.FilingId);
            Assert.Equal(e.Filing, Filing.Parser.ParseFrom(e.Payload));
        });

        // Changes while nobody watches, then live ones after the watcher is back.
        var later = NewFiling();
        await client.CreateFilingAsync(new CreateFilingRequest { Filing = later }, Key());
        await client.ChangeFilingAsync(new ChangeFilingRequest { Filing = MovedToBeijing(first[0]), ExpectedVersion = 1 }, Key());
        var resumeFrom = seen[^1].Seq;
        var resumed = new List<RecordChangeEvent>();
        var live = Task.Run(async () =>
        {
            await Task.Delay(500);
            await client.SuspendFilingAsync(new SuspendFilingRequest { FilingId = first[1].FilingId, ExpectedVersion = 1 }, Key());
        });
        await ReadAsync(resumeFrom, resumed, () =>
            resumed.Any(e => e.RecordId == later.FilingId) && resumed.Any(e => e.RecordId == first[0].FilingId && e.Change == "removed")
            && resumed.Any(e => e.RecordId == first[1].FilingId && e.Version == 2));
        await live;

        var all = seen.Concat(resumed).Select(e => e.Seq).ToList();
        var logged = await fx.QueryAsync(Sichuan, "SELECT seq FROM record_changes WHERE kind = 'filing' AND seq <= @max ORDER BY seq",
            r => r.GetInt64(0), ("max", all[^1]));
        Assert.Equal(logged, all); // nothing skipped, nothing twice, in order
        var removal = resumed.Single(e => e.RecordId == first[0].FilingId && e.Change == "removed");
        Assert.Equal((2L, "", 0), (removal.Version, removal.PayloadType, removal.Payload.Length));
        Assert.Null(removal.Filing);
    }

    private const string RecordChangeLogUpsert = "upsert";

    private async Task ReadAsync(long cursor, List<RecordChangeEvent> into, Func<bool> enough)
    {
        using var cts = new CancellationTokenSource(ThreeProvinceFixture.Timeout);
        using var call = fx.Watch(Sichuan).WatchRecords(new WatchRecordsRequest { Cursor = cursor, Kinds = { "filing" } }, cancellationToken: cts.Token);
        while (!enough())
        {
            Assert.True(await call.ResponseStream.MoveNext(cts.Token), "the stream ended");
            into.Add(call.ResponseStream.Current);
        }
        cts.Cancel(); // leave mid-stream, as a watcher that goes away does
    }

    private async Task<List<FilingView>> ListAllAsync(string province, ListFilingsRequest request)
    {
        var all = new List<FilingView>();
        do
        {
            var page = await fx.Filings(province).ListFilingsAsync(request);
            all.AddRange(page.Filings);
            request.PageToken = page.NextPageToken;
        } while (request.PageToken.Length > 0);
        return all;
    }

    private static Filing MovedToBeijing(Filing filing)
    {
        var moved = filing.Clone();
        moved.DestinationProvince = Beijing;
        moved.DestinationCity = "";
        moved.DestinationCounty = "";
        moved.CareAddress = "北京市朝阳区某路5号";
        return moved;
    }

    private static Filing WithStatus(Filing filing)
    {
        var f = filing.Clone();
        f.Status = FilingStatus.Active;
        return f;
    }

    private static Envelope Envelope(string sender, Filing filing, long version, FilingAction action, string? owner = null)
    {
        var payload = new FilingChanged
        {
            OwnerProvince = owner ?? sender, Filing = WithStatus(filing), Version = version, Action = action, ChangedOn = Iso(Gateway.Harness.TransferDriver.Today),
        };
        var correlation = $"{owner ?? sender}F{filing.FilingId}";
        return new Envelope
        {
            MessageId = $"{sender}:{correlation}:forged:{Guid.NewGuid():N}",
            MessageType = nameof(FilingChanged),
            SenderProvince = sender,
            ReceiverProvince = Sichuan,
            CorrelationId = correlation,
            SentAt = Timestamp.FromDateTime(DateTime.UtcNow),
            SchemaVersion = "1.0",
            Payload = payload.ToByteString(),
            Attempt = 1,
        };
    }
}
