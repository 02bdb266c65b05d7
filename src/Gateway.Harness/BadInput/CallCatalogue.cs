using Gateway.Contracts.Ops.V1;
using Gateway.Contracts.Sync.V1;
using Gateway.Contracts.Transfer.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Proto = Gateway.Contracts.Transfer.V1;
using RpcStatus = Google.Rpc.Status;

namespace Gateway.Harness.BadInput;

/// <summary>How a call is sent: a unary call, one entry of a batch call, or an answer on a work-item exchange stream.</summary>
internal enum CallShape
{
    Unary,
    Batch,
    StreamAnswer,
}

/// <summary>A semantic break: makes the (cloned) template invalid in a way only the domain can tell; returns what it did.</summary>
internal delegate string Spoil(IMessage request, Random random);

/// <summary>
/// One mutating call of the node: where it is sent, a template request (valid, or naming nothing for the operators'
/// actions), the fields a generic break may target, and its own semantic breaks. For a batch call the template is the
/// entry's request and <see cref="Wrap"/> / <see cref="Unwrap"/> put it into and read it out of the batch.
/// </summary>
internal sealed record CallSpec(
    string Service,
    string Method,
    string Province,
    CallShape Shape,
    IMessage Template,
    IReadOnlyList<(string What, Spoil Apply)> Spoils,
    string? WrongNode = null,
    IReadOnlySet<string>? Optional = null,
    IReadOnlySet<string>? Skip = null,
    Func<IMessage, string, byte[]>? Wrap = null,
    Func<byte[], RpcStatus?>? Unwrap = null)
{
    public string Name => $"{Service[(Service.LastIndexOf('.') + 1)..]}.{Method}";
}

/// <summary>Every mutating call of the node (protos/gateway/**), with the arena's requests as templates.</summary>
internal static class CallCatalogue
{
    private static readonly string Transfers = TransferService.Descriptor.FullName;
    private static readonly string WorkItems = WorkItemService.Descriptor.FullName;
    private static readonly string Filings = FilingService.Descriptor.FullName;
    private static readonly string Enrolment = EnrolmentService.Descriptor.FullName;
    private static readonly string Backfill = BackfillService.Descriptor.FullName;
    private static readonly string Ops = OpsService.Descriptor.FullName;

    /// <summary>The mutating methods of each service, for the coverage check: every one must have a spec.</summary>
    public static IEnumerable<string> MutatingMethods()
    {
        var reads = new HashSet<string>(StringComparer.Ordinal) { "SubscribeWorkItems", "CheckDuplicateEnrolment", "WatchRecords" };
        foreach (var service in new[] { TransferService.Descriptor, WorkItemService.Descriptor, FilingService.Descriptor,
                     EnrolmentService.Descriptor, BackfillService.Descriptor, OpsService.Descriptor })
            foreach (var method in service.Methods)
                if (!reads.Contains(method.Name) && !method.Name.StartsWith("Get", StringComparison.Ordinal)
                    && !method.Name.StartsWith("List", StringComparison.Ordinal) && !method.Name.StartsWith("Count", StringComparison.Ordinal)
                    && !method.Name.StartsWith("Verify", StringComparison.Ordinal) && !method.Name.StartsWith("Export", StringComparison.Ordinal))
                    yield return $"{service.Name}.{method.Name}";
    }

    private static (string, Spoil) S<T>(string what, Action<T> apply) where T : IMessage => (what, (m, _) => { apply((T)m); return what; });

    private static (string, Spoil) S<T>(string what, Func<T, Random, string> apply) where T : IMessage => (what, (m, r) => apply((T)m, r));

    /// <summary>An identity number that fails GB 11643 in one of several ways.</summary>
    public static string BadCertno(string valid, Random r) => (r.Next(8)) switch
    {
        0 => valid[..17] + (valid[17] == '0' ? '1' : '0'),            // wrong check character
        1 => valid[..17],                                            // 17 characters
        2 => valid + "1",                                            // 19 characters
        3 => "ABCDEFGHIJKLMNOPQR",
        4 => valid[..10] + "1340" + valid[14..],                     // month 13, day 40
        5 => "000000" + valid[6..],                                  // no such region
        6 => string.Concat(valid.Select(c => char.IsAsciiDigit(c) ? (char)('０' + (c - '0')) : c)), // full-width digits
        _ => valid[..6] + "21990101" + valid[14..],                  // born in the future
    };

    private static Timestamp Ago(TimeSpan t) => Timestamp.FromDateTime(DateTime.UtcNow - t);

    public static List<CallSpec> Build(BadInputArena a)
    {
        var (o, d) = (a.Origin, a.Destination);
        var issue = new IssueCertificateRequest { Certificate = a.NewCertificate };
        var submit = a.NewApplication;
        var answer = new AnswerWorkItemRequest
        {
            ItemId = a.PendingItemId, OriginEnrolment = new OriginEnrolmentAnswer { Status = Proto.EnrolmentStatus.Suspended, Remarks = "checked" },
        };
        var change = a.ActiveFiling.Clone();
        change.CareAddress = "就医地联系地址3号";
        var publish = new PublishEnrolmentRequest { Record = a.NewRecord };
        var range = new TimeRange { From = Ago(TimeSpan.FromHours(1)), To = Ago(TimeSpan.Zero) };
        var unknownTransfer = $"{d}T{Guid.NewGuid():N}";
        const string who = "bad-input";
        var filingSkip = new HashSet<string>(StringComparer.Ordinal) { "status" }; // ignored in requests
        var opsSkip = new HashSet<string>(StringComparer.Ordinal) { "seconds" };    // any second of 1 to 9999 is a time
        var opsOptional = new HashSet<string>(StringComparer.Ordinal) { "created", "first_seen" };

        var certificateSpoils = new List<(string, Spoil)>
        {
            S<IssueCertificateRequest>("bad identity number", (r, rnd) => { r.Certificate.Person.Certno = BadCertno(r.Certificate.Person.Certno, rnd); return $"certno {r.Certificate.Person.Certno}"; }),
            S<IssueCertificateRequest>("another province's pooling region", r => r.Certificate.InsuplcAdmdvs = a.DestinationRegion),
            S<IssueCertificateRequest>("another province's issuing agency", r => r.Certificate.IssuingAgency.Admdvs = a.DestinationRegion),
            S<IssueCertificateRequest>("enrolled_to before enrolled_from", r => { r.Certificate.EnrolledFrom = "2025-06"; r.Certificate.EnrolledTo = "2020-01"; }),
            S<IssueCertificateRequest>("negative balance", r => r.Certificate.AccountBalanceFen = -1),
            S<IssueCertificateRequest>("unknown document type", r => r.Certificate.Person.PsnCertType = "42"),
        };
        var applicationSpoils = new List<(string, Spoil)>
        {
            S<SubmitApplicationRequest>("bad identity number", (r, rnd) =>
            {
                var bad = BadCertno(r.Application.Person.Certno, rnd);
                r.Application.Person.Certno = r.Certificate.Person.Certno = bad;
                return $"certno {bad}";
            }),
            S<SubmitApplicationRequest>("destination agency of another province", r => r.DestinationAgency.Admdvs = a.OriginRegion),
            S<SubmitApplicationRequest>("applicant with a bad identity number", (r, rnd) =>
            {
                r.Application.Applicant = new Applicant { Name = "代办人", Certno = BadCertno(r.Application.Person.Certno, rnd), Relation = "子女", Phone = "13900000000", Address = "某地" };
                return $"applicant certno {r.Application.Applicant.Certno}";
            }),
            S<SubmitApplicationRequest>("accepted on 30 February", r => r.AcceptedOn = "2026-02-30"),
            S<SubmitApplicationRequest>("negative balance on the certificate", r => r.Certificate.AccountBalanceFen = -100),
        };
        var answerSpoils = new List<(string, Spoil)>
        {
            S<AnswerWorkItemRequest>("wrong answer kind", r => r.CreditBalance = new CreditBalanceAnswer { CreditedAmountFen = 1 }),
            S<AnswerWorkItemRequest>("acknowledgement of a check", r => r.Acknowledgement = new Acknowledgement()),
            S<AnswerWorkItemRequest>("empty information table", r => r.InformationTable = new InformationTableAnswer()),
            S<AnswerWorkItemRequest>("unknown step", r => r.ItemId = $"{a.TransferId}:no-such-step"),
            S<AnswerWorkItemRequest>("item of an unknown transfer", r => r.ItemId = $"{unknownTransfer}:check-origin"),
            S<AnswerWorkItemRequest>("undefined enrolment status", (r, rnd) => { var v = rnd.Next(5, 1000); r.OriginEnrolment.Status = (Proto.EnrolmentStatus)v; return $"status {v}"; }),
            S<AnswerWorkItemRequest>("no answer", r => r.ClearAnswer()),
        };
        var filingSpoils = FilingSpoils(a);
        var changeSpoils = filingSpoils.Select(s => ((string, Spoil))(s.What, (m, r) => s.Apply(((ChangeFilingRequest)m).Filing, r)))
            .Where(s => s.Item1 != "filing that exists")
            .Concat(
            [
                S<ChangeFilingRequest>("stale expected version", r => r.ExpectedVersion = 5),
                S<ChangeFilingRequest>("no expected version", r => r.ExpectedVersion = 0),
                S<ChangeFilingRequest>("change of a terminated filing", r => { r.Filing = a.TerminatedFiling.Clone(); r.ExpectedVersion = 2; }),
                S<ChangeFilingRequest>("unknown filing", r => r.Filing.FilingId = $"F{o}-nope-{Guid.NewGuid():N}"[..24]),
                S<ChangeFilingRequest>("another person", (r, rnd) => { r.Filing.Person.Certno = a.NewFiling.Person.Certno; r.Filing.Person.Gend = a.NewFiling.Person.Gend; return "another person's certno"; }),
            ]).ToList();
        List<(string, Spoil)> StepSpoils<T>(Action<T, string> id, Action<T, long> version) where T : IMessage =>
        [
            S<T>("stale expected version", r => version(r, 7)),
            S<T>("negative expected version", r => version(r, -1)),
            S<T>("terminated filing", r => { id(r, a.TerminatedFiling.FilingId); version(r, 2); }),
            S<T>("unknown filing", r => id(r, $"F{o}-nope-{Guid.NewGuid():N}"[..24])),
            S<T>("path in the filing id", r => id(r, "F/../1")),
            S<T>("another owner's filing id syntax", r => id(r, "no spaces allowed")),
        ];
        var publishSpoils = new List<(string, Spoil)>
        {
            S<PublishEnrolmentRequest>("another province's pooling region", r => r.Record.InsuplcAdmdvs = a.DestinationRegion),
            S<PublishEnrolmentRequest>("bad identity number", (r, rnd) => { r.Record.Person.Certno = BadCertno(r.Record.Person.Certno, rnd); return $"certno {r.Record.Person.Certno}"; }),
            S<PublishEnrolmentRequest>("paid_to before paid_from", r => { r.Record.PaidFrom = "2024-06"; r.Record.PaidTo = "2020-01"; }),
            S<PublishEnrolmentRequest>("paid years ahead", r => r.Record.PaidTo = "2099-12"),
            S<PublishEnrolmentRequest>("existing record as new", r => { r.Record = a.Record.Clone(); r.ExpectedVersion = 0; }),
            S<PublishEnrolmentRequest>("existing record, stale version", r => { r.Record = a.Record.Clone(); r.Record.PaidTo = "2015-06"; r.ExpectedVersion = 7; }),
            S<PublishEnrolmentRequest>("new record with a version", r => r.ExpectedVersion = 3),
            S<PublishEnrolmentRequest>("record id with spaces", r => r.Record.RecordId = "no spaces"),
            S<PublishEnrolmentRequest>("continuous months over 1200", r => r.Record.ContinuousEmployeeMonths = 5_000),
            S<PublishEnrolmentRequest>("no status", r => r.Record.Status = Proto.EnrolmentStatus.Unspecified),
            S<PublishEnrolmentRequest>("unknown document type", r => r.Record.Person.PsnCertType = "42"),
        };

        var specs = new List<CallSpec>
        {
            new(Transfers, "IssueCertificate", o, CallShape.Unary, issue, certificateSpoils, WrongNode: d),
            new(Transfers, "SubmitApplication", d, CallShape.Unary, submit, applicationSpoils, WrongNode: o),
            new(Transfers, "IssueCertificates", o, CallShape.Batch, issue, certificateSpoils, WrongNode: d,
                Wrap: (m, k) => new IssueCertificatesRequest { Entries = { new IssueCertificatesRequest.Types.Entry { IdempotencyKey = k, Request = (IssueCertificateRequest)m } } }.ToByteArray(),
                Unwrap: b => Single(IssueCertificatesResponse.Parser.ParseFrom(b).Results, x => x.Error)),
            new(Transfers, "SubmitApplications", d, CallShape.Batch, submit, applicationSpoils, WrongNode: o,
                Wrap: (m, k) => new SubmitApplicationsRequest { Entries = { new SubmitApplicationsRequest.Types.Entry { IdempotencyKey = k, Request = (SubmitApplicationRequest)m } } }.ToByteArray(),
                Unwrap: b => Single(SubmitApplicationsResponse.Parser.ParseFrom(b).Results, x => x.Error)),
            new(Transfers, "WithdrawTransfer", d, CallShape.Unary, new WithdrawTransferRequest { TransferId = a.TransferId, Reason = "the person changed their mind" },
            [
                S<WithdrawTransferRequest>("unknown transfer", r => r.TransferId = unknownTransfer),
                S<WithdrawTransferRequest>("unknown transfer of the other province", r => r.TransferId = $"{o}T{Guid.NewGuid():N}"),
                S<WithdrawTransferRequest>("path in the transfer id", r => r.TransferId = "../../transfers"),
            ], WrongNode: o),
            new(WorkItems, "AnswerWorkItem", o, CallShape.Unary, answer, answerSpoils, WrongNode: d),
            new(WorkItems, "ExchangeWorkItems", o, CallShape.StreamAnswer, answer, answerSpoils, WrongNode: d),
            new(Filings, "CreateFiling", o, CallShape.Unary, new CreateFilingRequest { Filing = a.NewFiling },
                filingSpoils.Select(s => ((string, Spoil))(s.What, (m, r) => s.Apply(((CreateFilingRequest)m).Filing, r))).ToList(), WrongNode: d, Skip: filingSkip),
            new(Filings, "ChangeFiling", o, CallShape.Unary, new ChangeFilingRequest { Filing = change, ExpectedVersion = 1 }, changeSpoils, WrongNode: d, Skip: filingSkip),
            new(Filings, "SuspendFiling", o, CallShape.Unary, new SuspendFilingRequest { FilingId = a.ActiveFiling.FilingId, ExpectedVersion = 1, Reason = who },
                StepSpoils<SuspendFilingRequest>((r, id) => r.FilingId = id, (r, v) => r.ExpectedVersion = v), WrongNode: d),
            new(Filings, "ResumeFiling", o, CallShape.Unary, new ResumeFilingRequest { FilingId = a.ActiveFiling.FilingId, ExpectedVersion = 1, Reason = who },
                StepSpoils<ResumeFilingRequest>((r, id) => r.FilingId = id, (r, v) => r.ExpectedVersion = v), WrongNode: d),
            new(Filings, "TerminateFiling", o, CallShape.Unary, new TerminateFilingRequest { FilingId = a.ActiveFiling.FilingId, ExpectedVersion = 1, Reason = who },
                StepSpoils<TerminateFilingRequest>((r, id) => r.FilingId = id, (r, v) => r.ExpectedVersion = v), WrongNode: d),
            new(Enrolment, "PublishEnrolment", o, CallShape.Unary, publish, publishSpoils, WrongNode: d),
            new(Enrolment, "PublishEnrolments", o, CallShape.Batch, publish, publishSpoils, WrongNode: d,
                Wrap: (m, k) => new PublishEnrolmentsRequest { Entries = { new PublishEnrolmentsRequest.Types.Entry { IdempotencyKey = k, Request = (PublishEnrolmentRequest)m } } }.ToByteArray(),
                Unwrap: b => Single(PublishEnrolmentsResponse.Parser.ParseFrom(b).Results, x => x.Error)),
            new(Backfill, "StartBackfill", d, CallShape.Unary, new StartBackfillRequest { OwnerProvinces = { o }, Kinds = { "filing" }, Reason = who },
            [
                S<StartBackfillRequest>("this province as owner", r => { r.OwnerProvinces.Clear(); r.OwnerProvinces.Add(d); }),
                S<StartBackfillRequest>("unknown province", r => r.OwnerProvinces.Add("99")),
                S<StartBackfillRequest>("one-digit province", r => r.OwnerProvinces.Add("1")),
                S<StartBackfillRequest>("65 owners", r => r.OwnerProvinces.AddRange(Enumerable.Range(0, 65).Select(_ => o))),
                S<StartBackfillRequest>("unknown kind", r => r.Kinds.Add("Filing!")),
                S<StartBackfillRequest>("kind nobody serves", r => { r.Kinds.Clear(); r.Kinds.Add("transfer"); }),
                S<StartBackfillRequest>("reason over 200", r => r.Reason = new string('因', 201)),
            ], WrongNode: o),
        };

        // Operators' actions name nothing that exists (or something in a state the action cannot take): any valid-looking
        // request ends NOT_FOUND or FAILED_PRECONDITION. Bulk actions are sent only broken.
        var opsSpoilsFor = new Func<Action<IMessage, string>, List<(string, Spoil)>>(setReason =>
        [
            ("no reason", (m, _) => { setReason(m, ""); return "no reason"; }),
            ("blank reason", (m, _) => { setReason(m, " \t "); return "blank reason"; }),
            ("reason over 500", (m, _) => { setReason(m, new string('r', 501)); return "reason over 500"; }),
        ]);
        specs.AddRange(
        [
            new(Ops, "ResendOutbound", o, CallShape.Unary, new ResendOutboundRequest { MessageId = $"{o}:{unknownTransfer}:letter", Operator = who, Reason = who },
                [.. opsSpoilsFor((m, s) => ((ResendOutboundRequest)m).Reason = s), S<ResendOutboundRequest>("no operator", r => r.Operator = "")], Skip: opsSkip),
            new(Ops, "ResendFailed", o, CallShape.Unary, new ResendFailedRequest { CounterpartProvince = d, Created = range.Clone(), Operator = who, Reason = who },
                [.. opsSpoilsFor((m, s) => ((ResendFailedRequest)m).Reason = s),
                 S<ResendFailedRequest>("unknown counterpart", r => r.CounterpartProvince = "99"),
                 S<ResendFailedRequest>("range ends before it starts", r => r.Created = new TimeRange { From = range.To, To = range.From }),
                 S<ResendFailedRequest>("nanos out of range", r => r.Created.From.Nanos = 1_000_000_000)], Skip: opsSkip, Optional: opsOptional),
            new(Ops, "ReapplyDeadLetter", o, CallShape.Unary, new ReapplyDeadLetterRequest { DeadLetterId = 900_000_001, Operator = who, Reason = who },
                [.. opsSpoilsFor((m, s) => ((ReapplyDeadLetterRequest)m).Reason = s), S<ReapplyDeadLetterRequest>("id 0", r => r.DeadLetterId = 0)], Skip: opsSkip),
            new(Ops, "ReapplyDeadLetters", o, CallShape.Unary, new ReapplyDeadLettersRequest { FirstSeen = range.Clone(), Operator = who, Reason = who },
                [.. opsSpoilsFor((m, s) => ((ReapplyDeadLettersRequest)m).Reason = s),
                 S<ReapplyDeadLettersRequest>("forged page token", r => r.PageToken = Convert.ToBase64String("reapply|0|not-a-row"u8.ToArray())),
                 S<ReapplyDeadLettersRequest>("page token of another list", r => r.PageToken = Convert.ToBase64String("dead_letters|0|12"u8.ToArray())),
                 S<ReapplyDeadLettersRequest>("not base64", r => r.PageToken = "%%%"),
                 S<ReapplyDeadLettersRequest>("range ends before it starts", r => r.FirstSeen = new TimeRange { From = range.To, To = range.From })], Skip: opsSkip, Optional: opsOptional),
            new(Ops, "MarkNeverRerun", o, CallShape.Unary, new MarkNeverRerunRequest { DeadLetterId = 900_000_002, Operator = who, Reason = who },
                [.. opsSpoilsFor((m, s) => ((MarkNeverRerunRequest)m).Reason = s), S<MarkNeverRerunRequest>("negative id", r => r.DeadLetterId = -4)], Skip: opsSkip),
            new(Ops, "RedeliverWorkItem", o, CallShape.Unary, new RedeliverWorkItemRequest { ItemId = $"{unknownTransfer}:check-origin", Operator = who, Reason = who },
                [.. opsSpoilsFor((m, s) => ((RedeliverWorkItemRequest)m).Reason = s), S<RedeliverWorkItemRequest>("NUL in the id", r => r.ItemId += "\0")], Skip: opsSkip),
            new(Ops, "ReleaseHold", o, CallShape.Unary, new ReleaseHoldRequest { TransferId = a.TransferId, HoldCode = "AMOUNT_MISMATCH", Operator = who, Reason = who },
                [.. opsSpoilsFor((m, s) => ((ReleaseHoldRequest)m).Reason = s),
                 S<ReleaseHoldRequest>("unknown hold code", r => r.HoldCode = "NO_SUCH_HOLD"),
                 S<ReleaseHoldRequest>("unknown transfer", r => r.TransferId = unknownTransfer)], Skip: opsSkip),
            new(Ops, "CancelExchange", o, CallShape.Unary, new CancelExchangeRequest { TransferId = unknownTransfer, Operator = who, Reason = who },
                [.. opsSpoilsFor((m, s) => ((CancelExchangeRequest)m).Reason = s), S<CancelExchangeRequest>("id over 64", r => r.TransferId = new string('7', 65))], Skip: opsSkip),
            new(Ops, "StartResendJob", o, CallShape.Unary, new StartResendJobRequest { CounterpartProvince = d, Created = range.Clone(), PerSecond = 10, Operator = who, Reason = who },
                [.. opsSpoilsFor((m, s) => ((StartResendJobRequest)m).Reason = s),
                 S<StartResendJobRequest>("zero per second", r => r.PerSecond = 0),
                 S<StartResendJobRequest>("1001 per second", r => r.PerSecond = 1001),
                 S<StartResendJobRequest>("unknown counterpart", r => r.CounterpartProvince = "99"),
                 S<StartResendJobRequest>("range ends before it starts", r => r.Created = new TimeRange { From = range.To, To = range.From })], Skip: opsSkip, Optional: opsOptional),
            new(Ops, "StopResendJob", o, CallShape.Unary, new ResendJobActionRequest { JobId = 900_000_003, Operator = who, Reason = who },
                [.. opsSpoilsFor((m, s) => ((ResendJobActionRequest)m).Reason = s), S<ResendJobActionRequest>("id 0", r => r.JobId = 0)], Skip: opsSkip),
            new(Ops, "ResumeResendJob", o, CallShape.Unary, new ResendJobActionRequest { JobId = 900_000_004, Operator = who, Reason = who },
                [.. opsSpoilsFor((m, s) => ((ResendJobActionRequest)m).Reason = s), S<ResendJobActionRequest>("negative id", r => r.JobId = -1)], Skip: opsSkip),
        ]);
        return specs;
    }

    /// <summary>The content breaks of a filing (seed 004 附表13 rules), as FilingBadInputTests names them.</summary>
    private static List<(string What, Spoil Apply)> FilingSpoils(BadInputArena a)
    {
        var third = a.Origin != "11" && a.Destination != "11" ? "11" : "12"; // a province-only destination
        return
        [
            S<Filing>("insured elsewhere", f => { f.InsuplcAdmdvs = a.DestinationRegion; f.DestinationProvince = third; f.DestinationCity = ""; f.DestinationCounty = ""; }),
            S<Filing>("care in the insured province", f => { f.DestinationProvince = a.Origin; f.DestinationCity = a.OriginRegion[..4] + "00"; f.DestinationCounty = ""; }),
            S<Filing>("province-only destination with a city", f => { f.DestinationProvince = third; f.DestinationCity = third + "0100"; f.DestinationCounty = ""; }),
            S<Filing>("retired resettled with resident insurance", f => { f.Category = FilingCategory.RetiredResettled; f.Insutype = Proto.InsuranceType.Resident; }),
            S<Filing>("other without a note", f => { f.Category = FilingCategory.TemporaryOther; f.CategoryNote = ""; }),
            S<Filing>("valid_to before valid_from", f => { f.ValidTo = "2025-01-01"; f.ValidFrom = "2025-06-01"; }),
            S<Filing>("bad identity number", (f, r) => { f.Person.Certno = BadCertno(f.Person.Certno, r); return $"certno {f.Person.Certno}"; }),
            S<Filing>("filed in the future", f => f.FiledOn = SyncDriver.Iso(TransferDriver.Today.AddYears(1))),
            S<Filing>("no category", f => f.Category = FilingCategory.Unspecified),
            S<Filing>("path in the filing id", f => f.FilingId = "F/../1"),
            S<Filing>("no person", f => f.Person = null),
            S<Filing>("13th month", f => f.ValidFrom = "2026-13-01"),
            S<Filing>("filing that exists", f => { var id = a.ActiveFiling.FilingId; f.MergeFrom(a.ActiveFiling); f.FilingId = id; }),
        ];
    }

    private static RpcStatus? Single<T>(Google.Protobuf.Collections.RepeatedField<T> results, Func<T, RpcStatus?> error) =>
        results.Count == 1 ? error(results[0])
            : new RpcStatus { Code = (int)Grpc.Core.StatusCode.Unknown, Message = $"the batch answered {results.Count} results for one entry" };
}
