using CsCheck;
using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Sync.V1;
using Gateway.Harness;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using static Gateway.Node.Tests.EnrolmentClusterFixture;
using InsuranceType = Gateway.Contracts.Transfer.V1.InsuranceType;
using RecordStatus = Gateway.Contracts.Transfer.V1.EnrolmentStatus;

namespace Gateway.Node.Tests;

/// <summary>
/// Enrolment status sync across three real nodes: owners publish, the person's index province detects the three kinds of
/// duplicate enrolment of seed 003 第二十三条 and tells both involved provinces, whose simulated systems acknowledge the
/// work item; any node answers a check with the index's findings; the version guard and the trust rules hold.
/// </summary>
[Collection(EnrolmentClusterCollection.Name)]
public sealed class EnrolmentSyncTests(EnrolmentClusterFixture fx)
{
    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    private static EnrolmentRecord Employee(string certno, string region, string from, string to, bool current = false) => new()
    {
        RecordId = NewId("E"), Person = Person(certno), InsuplcAdmdvs = region, Insutype = InsuranceType.Employee,
        Status = RecordStatus.Active, PaidFrom = from, PaidTo = to, Basis = EnrolmentBasis.Standard, CurrentEmployment = current,
    };

    private static EnrolmentRecord Resident(string certno, string region, string from, string to) => new()
    {
        RecordId = NewId("R"), Person = Person(certno), InsuplcAdmdvs = region, Insutype = InsuranceType.Resident,
        Status = RecordStatus.Active, PaidFrom = from, PaidTo = to, Basis = EnrolmentBasis.Standard,
    };

    private Task<PublishEnrolmentResponse> PublishAsync(string province, EnrolmentRecord record, long expected = 0, Metadata? key = null) =>
        fx.Client(province).PublishEnrolmentAsync(new PublishEnrolmentRequest { Record = record, ExpectedVersion = expected }, key ?? TransferDriver.Key()).ResponseAsync;

    private Task<CheckDuplicateEnrolmentResponse> CheckAsync(string province, string certno) =>
        fx.Client(province).CheckDuplicateEnrolmentAsync(new CheckDuplicateEnrolmentRequest { Person = Person(certno) }, deadline: DateTime.UtcNow.AddSeconds(10)).ResponseAsync;

    private static RecordRef Ref(string owner, EnrolmentRecord r) => new() { OwnerProvince = owner, RecordId = r.RecordId };

    /// <summary>Polls the index until the finding shows, then asserts the work item reached both involved provinces and was taken up.</summary>
    private async Task<DuplicateEnrolmentFinding> FoundAtIndexAsync(string index, string certno, DuplicateEnrolmentKind kind, string[] involved)
    {
        var response = await EventuallyAsync(() => CheckAsync(index, certno), r => r.Findings.Any(f => f.Kind == kind), $"a {kind} finding at {index}");
        Assert.Equal(index, response.IndexProvince);
        var finding = Assert.Single(response.Findings);
        foreach (var province in involved)
        {
            await EventuallyAsync(() => fx.CountAsync(province,
                    "SELECT count(*) FROM work_items w JOIN duplicate_findings d ON w.item_id = 'dup:' || d.finding_id WHERE w.item_id = @id AND w.kind = 'DuplicateEnrolment' AND w.status = 'answered' AND w.transfer_id IS NULL AND d.acknowledged_at IS NOT NULL",
                    ("id", $"dup:{finding.FindingId}")),
                n => n == 1, $"the duplicate-enrolment work item acknowledged at {province}");
        }
        foreach (var other in Provinces.Except(involved))
            Assert.Equal(0, await fx.CountAsync(other, "SELECT count(*) FROM work_items WHERE item_id = @id", ("id", $"dup:{finding.FindingId}")));
        return finding;
    }

    [Fact]
    public async Task Employee_records_paid_in_15_and_51_for_the_same_months_are_found_at_the_index_64_and_both_provinces_get_the_work_item()
    {
        var certno = fx.NewCitizen("640104"); // index province 64, which owns no record
        var hohhot = Employee(certno, "150100", "2020-01", "2025-06");
        var deyang = Employee(certno, "510600", "2025-04", "2026-02", current: true);
        Assert.Equal("64", (await PublishAsync("15", hohhot)).IndexProvince);
        var published = await PublishAsync("51", deyang);
        Assert.Equal((1L, "51", "64"), (published.Version, published.OwnerProvince, published.IndexProvince));

        var finding = await FoundAtIndexAsync("64", certno, DuplicateEnrolmentKind.EmployeeWithinScheme, ["15", "51"]);
        Assert.Equal(("2025-04", "2025-06"), (finding.From, finding.To));
        Assert.Equal([Ref("15", hohhot), Ref("51", deyang)], finding.Records);
        Assert.Equal(DuplicateResolution.KeepCurrentEmployment, finding.Resolution);
        Assert.Equal(Ref("51", deyang), finding.Keep); // the record its owner marks as the current place of employment
        Assert.Equal(DuplicateAction.Terminate, finding.Action);
        Assert.Contains("第二十四条(一)", finding.Explanation);

        // Asked at either owner (neither is the index), the answer is the index's.
        Assert.Equal([finding], (await CheckAsync("15", certno)).Findings);
        Assert.Equal([finding], (await CheckAsync("51", certno)).Findings);
        var summary = await fx.Client("15").GetEnrolmentSummaryAsync(new GetEnrolmentSummaryRequest { Person = Person(certno) });
        Assert.Equal("64", summary.IndexProvince);
        Assert.Equal([("15", hohhot.RecordId, 1L), ("51", deyang.RecordId, 1L)], summary.Records.Select(r => (r.OwnerProvince, r.Record.RecordId, r.Version)));
        // Each applied change is in the change log of the node that applied it: owner and index.
        Assert.Equal(1, await fx.CountAsync("15", "SELECT count(*) FROM record_changes WHERE kind = 'enrolment' AND record_id = @r", ("r", hohhot.RecordId)));
        Assert.Equal(2, await fx.CountAsync("64", "SELECT count(*) FROM record_changes WHERE kind = 'enrolment' AND record_id IN (@a, @b)", ("a", hohhot.RecordId), ("b", deyang.RecordId)));
    }

    [Fact]
    public async Task Two_resident_records_in_one_resident_year_are_found_where_the_owner_is_the_index_and_the_person_chooses()
    {
        var certno = fx.NewCitizen("150102"); // index province 15, itself an owner
        var hohhot = Resident(certno, "150100", "2025-01", "2025-12");
        var deyang = Resident(certno, "510600", "2025-03", "2025-12");
        Assert.Equal("15", (await PublishAsync("15", hohhot)).IndexProvince);
        await PublishAsync("51", deyang);

        var finding = await FoundAtIndexAsync("15", certno, DuplicateEnrolmentKind.ResidentWithinScheme, ["15", "51"]);
        Assert.Equal(("2025-01", "2025-12"), (finding.From, finding.To));
        Assert.Equal(DuplicateResolution.PersonChooses, finding.Resolution);
        Assert.Null(finding.Keep);
        Assert.Contains("第二十四条(二)", finding.Explanation);
        Assert.Equal([finding], (await CheckAsync("51", certno)).Findings);
        Assert.Equal([finding], (await CheckAsync("64", certno)).Findings);

        // Re-detection after another change never notifies again: one finding row, one work item per province.
        var changed = hohhot.Clone();
        changed.ContinuousEmployeeMonths = 0;
        changed.Basis = EnrolmentBasis.Standard;
        changed.PaidFrom = "2025-01";
        await PublishAsync("15", changed, expected: 1);
        await EventuallyAsync(() => fx.CountAsync("15", "SELECT count(*) FROM enrolment_records WHERE record_id = @r AND version = 2", ("r", hohhot.RecordId)), n => n == 1, "version 2 at 15");
        Assert.Equal(1, await fx.CountAsync("51", "SELECT count(*) FROM work_items WHERE kind = 'DuplicateEnrolment' AND item_id = @id", ("id", $"dup:{finding.FindingId}")));
        Assert.Equal(1, await fx.CountAsync("15", "SELECT count(*) FROM duplicate_findings WHERE finding_id = @id", ("id", finding.FindingId)));
    }

    [Fact]
    public async Task A_resident_year_fully_paid_in_employee_insurance_is_a_cross_scheme_duplicate_that_keeps_employee_insurance()
    {
        var certno = fx.NewCitizen("510603"); // index province 51, the employee record's owner
        var resident = Resident(certno, "150100", "2025-01", "2025-12");
        var employee = Employee(certno, "510600", "2023-06", "2026-02", current: true);
        await PublishAsync("15", resident);
        await PublishAsync("51", employee);

        var finding = await FoundAtIndexAsync("51", certno, DuplicateEnrolmentKind.CrossScheme, ["15", "51"]);
        Assert.Equal(("2025-01", "2025-12"), (finding.From, finding.To));
        Assert.Equal(DuplicateResolution.KeepEmployee, finding.Resolution);
        Assert.Equal(Ref("51", employee), finding.Keep);
        Assert.Contains("第二十四条(四)", finding.Explanation);
        Assert.Equal([finding], (await CheckAsync("64", certno)).Findings);
        Assert.Equal([finding], (await CheckAsync("15", certno)).Findings);
    }

    [Fact]
    public async Task An_older_change_after_a_newer_one_leaves_the_newer_and_a_change_from_a_non_owner_is_dead_lettered()
    {
        var certno = fx.NewCitizen("640104"); // index 64
        var record = Employee(certno, "150100", "2024-01", "2025-06");
        await PublishAsync("15", record);
        var suspended = record.Clone();
        suspended.Status = RecordStatus.Suspended;
        Assert.Equal(2, (await PublishAsync("15", suspended, expected: 1)).Version);
        await EventuallyAsync(() => fx.CountAsync("64", "SELECT count(*) FROM enrolment_records WHERE record_id = @r AND version = 2", ("r", record.RecordId)), n => n == 1, "version 2 at the index");

        // The owner's own version 1 again, as a replay (a forged or very late copy): acknowledged and ignored.
        var old = Forge("15", "64", record.RecordId, new EnrolmentChanged { OwnerProvince = "15", Record = record, Version = 1 });
        await fx.ProduceAsync("64", "forged", old.ToByteArray());
        await EventuallyAsync(() => fx.CountAsync("64", "SELECT count(*) FROM inbox WHERE message_id = @id", ("id", old.MessageId)), n => n == 1, "the old change consumed");
        Assert.Equal(0, await fx.CountAsync("64", "SELECT count(*) FROM dead_letters WHERE message_id = @id", ("id", old.MessageId)));
        var summary = await fx.Client("64").GetEnrolmentSummaryAsync(new GetEnrolmentSummaryRequest { Person = Person(certno) });
        var held = Assert.Single(summary.Records);
        Assert.Equal((2L, RecordStatus.Suspended), (held.Version, held.Record.Status));
        Assert.Equal(1, await fx.CountAsync("64", "SELECT count(*) FROM record_changes WHERE record_id = @r AND version = 1", ("r", record.RecordId)));

        // 51 writes 15's record: not the owner, dead-lettered unanswered, nothing changes.
        var foreign = Forge("51", "64", record.RecordId, new EnrolmentChanged { OwnerProvince = "15", Record = record, Version = 9 });
        var misnamed = Forge("51", "64", record.RecordId, new EnrolmentChanged { OwnerProvince = "51", Record = record, Version = 9 });
        await fx.ProduceAsync("64", "forged", foreign.ToByteArray());
        await fx.ProduceAsync("64", "forged", misnamed.ToByteArray());
        foreach (var forged in new[] { foreign, misnamed })
        {
            var reason = await EventuallyAsync(() => fx.ScalarAsync("64", "SELECT reason FROM dead_letters WHERE message_id = @id", ("id", forged.MessageId)),
                r => r is string, "the non-owner's change dead-lettered");
            Assert.StartsWith("SENDER_MISMATCH", (string)reason!);
        }
        Assert.Equal(0, await fx.CountAsync("51", "SELECT count(*) FROM outbox WHERE message_type = 'Receipt' AND payload::text LIKE @p", ("p", $"%{foreign.MessageId}%")));
        held = Assert.Single((await fx.Client("51").GetEnrolmentSummaryAsync(new GetEnrolmentSummaryRequest { Person = Person(certno) })).Records);
        Assert.Equal((2L, RecordStatus.Suspended), (held.Version, held.Record.Status));
    }

    [Fact]
    public async Task A_change_sent_to_a_node_that_is_not_the_index_is_dead_lettered()
    {
        var certno = fx.NewCitizen("640104"); // index 64, so 51 must refuse it
        var record = Employee(certno, "150100", "2024-01", "2025-06");
        var misrouted = Forge("15", "51", record.RecordId, new EnrolmentChanged { OwnerProvince = "15", Record = record, Version = 1 });
        await fx.ProduceAsync("51", "forged", misrouted.ToByteArray());
        var reason = await EventuallyAsync(() => fx.ScalarAsync("51", "SELECT reason FROM dead_letters WHERE message_id = @id", ("id", misrouted.MessageId)),
            r => r is string, "the misrouted change dead-lettered");
        Assert.StartsWith("NOT_INDEX_PROVINCE", (string)reason!);
        Assert.Equal(0, await fx.CountAsync("51", "SELECT count(*) FROM enrolment_records WHERE record_id = @r", ("r", record.RecordId)));
    }

    [Fact]
    public async Task Versions_are_assigned_by_the_owner_and_a_stale_expected_version_is_refused_as_a_conflict()
    {
        var certno = fx.NewCitizen("150102");
        var record = Employee(certno, "150100", "2024-01", "2025-06");
        var key = TransferDriver.Key();
        var first = await PublishAsync("15", record, key: key);
        Assert.Equal(first, await PublishAsync("15", record, key: key)); // same key: the first answer, no second version
        Assert.Equal(1, await fx.CountAsync("15", "SELECT max(version) FROM enrolment_records WHERE record_id = @r", ("r", record.RecordId)));

        foreach (var stale in new long[] { 0, 2, 7 })
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => PublishAsync("15", record, expected: stale));
            Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
            var info = refused.GetRpcStatus()!.GetDetail<ErrorInfo>()!;
            Assert.Equal(("VERSION_CONFLICT", "1"), (info.Reason, info.Metadata["current_version"]));
        }
        Assert.Equal(2, (await PublishAsync("15", record, expected: 1)).Version);

        var otherPerson = record.Clone();
        otherPerson.Person = Person(fx.NewCitizen("150102"));
        var moved = await Assert.ThrowsAsync<RpcException>(() => PublishAsync("15", otherPerson, expected: 2));
        Assert.Equal("RECORD_PERSON_FIXED", ErrorDetails.Reason(moved));
    }

    [Fact]
    public async Task A_batch_publishes_each_entry_under_its_own_key_and_a_bad_entry_fails_alone()
    {
        var certno = fx.NewCitizen("640104"); // index 64
        var good = Employee(certno, "150100", "2020-01", "2025-06");
        var second = Employee(certno, "150200", "2025-01", "2026-02", current: true);
        var bad = Employee(certno, "510600", "2024-01", "2025-06"); // 51's region: 15 is not its owner
        var keys = new[] { Guid.NewGuid().ToString("N"), Guid.NewGuid().ToString("N"), Guid.NewGuid().ToString("N") };
        var batch = new PublishEnrolmentsRequest
        {
            Entries =
            {
                new PublishEnrolmentsRequest.Types.Entry { IdempotencyKey = keys[0], Request = new PublishEnrolmentRequest { Record = good } },
                new PublishEnrolmentsRequest.Types.Entry { IdempotencyKey = keys[1], Request = new PublishEnrolmentRequest { Record = bad } },
                new PublishEnrolmentsRequest.Types.Entry { IdempotencyKey = keys[2], Request = new PublishEnrolmentRequest { Record = second } },
            },
        };
        var results = (await fx.Client("15").PublishEnrolmentsAsync(batch)).Results;
        Assert.Equal([1L, 0L, 1L], results.Select(r => r.Response?.Version ?? 0));
        Assert.Equal((int)Code.PermissionDenied, results[1].Error.Code);
        Assert.Equal(0, await fx.CountAsync("15", "SELECT count(*) FROM enrolment_records WHERE record_id = @r", ("r", bad.RecordId)));
        // The entry's key is the unary call's: the same request replays the entry's answer.
        Assert.Equal(results[0].Response, await PublishAsync("15", good, key: TransferDriver.Key(keys[0])));
        // Two employee records of 15 that overlap: found at 64, which tells 15 once.
        var finding = await FoundAtIndexAsync("64", certno, DuplicateEnrolmentKind.EmployeeWithinScheme, ["15"]);
        Assert.Equal(Ref("15", second), finding.Keep);
    }

    [Fact]
    public async Task Bad_input_is_refused_by_field_and_changes_nothing()
    {
        var certno = fx.NewCitizen("150102");
        var before = await FingerprintAsync("15");
        async Task<IReadOnlyList<string>> InvalidAsync(Action<EnrolmentRecord> breaks, long expected = 0)
        {
            var record = Employee(certno, "150100", "2024-01", "2025-06");
            breaks(record);
            var ex = await Assert.ThrowsAsync<RpcException>(() => PublishAsync("15", record, expected));
            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            return ErrorDetails.Fields(ex);
        }

        var other = Employee(certno, "510600", "2024-01", "2025-06"); // not the owner: acting for another province
        ErrorDetails.AssertNotThisProvince(await Assert.ThrowsAsync<RpcException>(() => PublishAsync("15", other, 0)), "record.insuplc_admdvs");
        Assert.Equal(["record.person.certno"], await InvalidAsync(r => r.Person.Certno = certno[..17] + (certno[17] == '1' ? '2' : '1')));
        Assert.Equal(["record.person.psn_cert_type"], await InvalidAsync(r => r.Person.PsnCertType = "42"));
        Assert.Equal(["record.paid_to"], await InvalidAsync(r => r.PaidTo = "2023-12"));
        Assert.Equal(["record.paid_from"], await InvalidAsync(r => r.PaidFrom = "2024-13"));
        Assert.Equal(["record.paid_to"], await InvalidAsync(r => r.PaidTo = $"{DateTime.UtcNow.Year + 2}-01"));
        Assert.Equal(["record.status"], await InvalidAsync(r => r.Status = RecordStatus.UnknownPerson));
        Assert.Equal(["record.insutype"], await InvalidAsync(r => r.Insutype = InsuranceType.Unspecified));
        Assert.Equal(["record.record_id"], await InvalidAsync(r => r.RecordId = "a b"));
        Assert.Equal(["record.basis"], await InvalidAsync(r => r.Basis = EnrolmentBasis.Student));
        Assert.Equal(["record.study_place_admdvs"], await InvalidAsync(r => r.StudyPlaceAdmdvs = "510600"));
        Assert.Equal(["record.continuous_employee_months"], await InvalidAsync(r => r.ContinuousEmployeeMonths = 1201));
        Assert.Equal(["expected_version"], await InvalidAsync(_ => { }, expected: -1));
        Assert.Equal(["record.current_employment", "record.continuous_employee_months"], await InvalidAsync(r =>
        {
            r.Insutype = InsuranceType.Resident;
            r.CurrentEmployment = true;
            r.ContinuousEmployeeMonths = 3;
        }));

        var noKey = await Assert.ThrowsAsync<RpcException>(() => fx.Client("15").PublishEnrolmentAsync(
            new PublishEnrolmentRequest { Record = Employee(certno, "150100", "2024-01", "2025-06") }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "idempotency-key"), (noKey.StatusCode, ErrorDetails.Fields(noKey).Single()));
        var badCheck = await Assert.ThrowsAsync<RpcException>(() => fx.Client("51").CheckDuplicateEnrolmentAsync(new CheckDuplicateEnrolmentRequest { Person = Person("150102") }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "person.certno"), (badCheck.StatusCode, ErrorDetails.Fields(badCheck).Single()));
        var noPerson = await Assert.ThrowsAsync<RpcException>(() => fx.Client("51").GetEnrolmentSummaryAsync(new GetEnrolmentSummaryRequest()).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "person"), (noPerson.StatusCode, ErrorDetails.Fields(noPerson).Single()));

        Assert.Equal(before, await FingerprintAsync("15"));
    }

    [Fact]
    public async Task Generated_bad_records_are_refused_clearly_and_change_nothing()
    {
        var certno = fx.NewCitizen("150102");
        var before = await FingerprintAsync("15");
        // Each break alone makes the request invalid, whatever else it holds.
        var breaks = new Gen<(string, Action<PublishEnrolmentRequest>)>[]
        {
            Gen.Int[-1_000_000, -1].Select(v => ($"expected_version {v}", (Action<PublishEnrolmentRequest>)(r => r.ExpectedVersion = v))),
            Gen.Int[5, 10_000].Select(v => ($"status {v}", (Action<PublishEnrolmentRequest>)(r => r.Record.Status = (RecordStatus)v))),
            Gen.Int[1, 309].Select(v => ($"insutype {v}", (Action<PublishEnrolmentRequest>)(r => r.Record.Insutype = (InsuranceType)v))),
            Gen.Int[1201, int.MaxValue].Select(v => ($"continuous months {v}", (Action<PublishEnrolmentRequest>)(r => r.Record.ContinuousEmployeeMonths = v))),
            Gen.Int[int.MinValue, -1].Select(v => ($"continuous months {v}", (Action<PublishEnrolmentRequest>)(r => r.Record.ContinuousEmployeeMonths = v))),
            Gen.String[Gen.Char['0', '9'], 1, 12].Where(s => s.Length != 6).Select(s => ($"region '{s}'", (Action<PublishEnrolmentRequest>)(r => r.Record.InsuplcAdmdvs = s))),
            Pick("110000", "440300", "510600", "640100", "990100").Select(s => ($"region {s}", (Action<PublishEnrolmentRequest>)(r => r.Record.InsuplcAdmdvs = s))),
            Gen.Int[1, 17].Select(n => ($"certno cut to {n}", (Action<PublishEnrolmentRequest>)(r => r.Record.Person.Certno = certno[..n]))),
            Pick("2024-13", "2024-00", "1949-12", "abcd-ef", "2024/01", "9999-12").Select(s => ($"paid_from {s}", (Action<PublishEnrolmentRequest>)(r => r.Record.PaidFrom = s))),
            Pick("", "\u0000", "\u202e", "x y", new string('r', 65)).Select(s => ($"record_id {s.Length}", (Action<PublishEnrolmentRequest>)(r => r.Record.RecordId = s))),
            Pick("\u0007", "\u2028", "\ufeff").SelectMany(c => Gen.Int[0, 17].Select(at => ($"certno control at {at}", (Action<PublishEnrolmentRequest>)(r => r.Record.Person.Certno = certno.Insert(at, c))))),
            Gen.Const(("no person", (Action<PublishEnrolmentRequest>)(r => { if (r.Record is not null) r.Record.Person = null; }))),
            Gen.Const(("no record", (Action<PublishEnrolmentRequest>)(r => r.Record = null))),
        };
        var gen = Gen.OneOf(breaks).Array[1, 3];
        await gen.SampleAsync(async chosen =>
        {
            var request = new PublishEnrolmentRequest { Record = Employee(certno, "150100", "2024-01", "2025-06") };
            // Removals last: the other breaks write into what they remove.
            var ordered = chosen.OrderBy(c => c.Item1.StartsWith("no ", StringComparison.Ordinal)).ToList();
            foreach (var (_, apply) in ordered) apply(request);
            var applied = ordered.Select(c => c.Item1);
            var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Client("15").PublishEnrolmentAsync(request, TransferDriver.Key()).ResponseAsync);
            // Well formed but another province's record: acting for that province, not bad input.
            if (ex.StatusCode == StatusCode.PermissionDenied) ErrorDetails.AssertNotThisProvince(ex, "record.insuplc_admdvs");
            else
            {
                Assert.True(ex.StatusCode == StatusCode.InvalidArgument, $"{string.Join("; ", applied)}: {ex.StatusCode} {ex.Status.Detail}");
                Assert.NotEmpty(ErrorDetails.Fields(ex));
            }
        }, iter: 150, threads: 1);
        Assert.Equal(before, await FingerprintAsync("15"));
    }

    [Fact]
    public async Task A_check_at_a_province_that_is_not_the_index_is_unavailable_while_the_index_is_down()
    {
        var certno = fx.NewCitizen("640104"); // index 64
        await fx.Cluster["64"].StopAsync();
        try
        {
            var started = DateTime.UtcNow;
            var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Client("15").CheckDuplicateEnrolmentAsync(
                new CheckDuplicateEnrolmentRequest { Person = Person(certno) }, deadline: DateTime.UtcNow.AddSeconds(3)).ResponseAsync);
            Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
            var info = ex.GetRpcStatus()!.GetDetail<ErrorInfo>()!;
            Assert.Equal(("INDEX_PROVINCE_UNREACHABLE", "64"), (info.Reason, info.Metadata["index_province"]));
            Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3)); // bounded by the call's deadline
        }
        finally
        {
            await fx.Cluster["64"].StartAsync();
        }
        // Back up: the same check is answered by the index.
        var answer = await EventuallyAsync(() => CheckAsync("15", certno), _ => true, "an answer from 64");
        Assert.Equal("64", answer.IndexProvince);
    }

    private static Gen<string> Pick(params string[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    private async Task<string> FingerprintAsync(string province) =>
        (string)(await fx.ScalarAsync(province, """
            SELECT concat_ws('/', (SELECT count(*) FROM enrolment_records), (SELECT coalesce(sum(version), 0) FROM enrolment_records),
                (SELECT count(*) FROM outbox WHERE message_type <> 'Receipt'), (SELECT count(*) FROM record_changes), (SELECT count(*) FROM idempotency_keys),
                (SELECT count(*) FROM work_items), (SELECT count(*) FROM duplicate_findings))
            """))!;

    /// <summary>Signed with the sender's own key: these test the owner and index rules, which apply to envelopes that verify.</summary>
    private Envelope Forge(string sender, string receiver, string correlationId, IMessage payload) => fx.Cluster.Keys.Sign(new Envelope
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
}
