using CsCheck;
using Gateway.Contracts.Sync.V1;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Grpc.Core;
using static Gateway.Node.Tests.ThreeProvinceFixture;
using Proto = Gateway.Contracts.Transfer.V1;

namespace Gateway.Node.Tests;

/// <summary>
/// Every refusal of the owner's filing calls with its status and reason, and generated bad filings: the node answers
/// each with a clear status (never OK, INTERNAL or UNKNOWN) and no row of the owner changes.
/// </summary>
[Collection(ThreeProvinceCollection.Name)]
public sealed class FilingBadInputTests(ThreeProvinceFixture fx)
{
    private static readonly StatusCode[] Clear = [StatusCode.InvalidArgument, StatusCode.FailedPrecondition, StatusCode.NotFound, StatusCode.ResourceExhausted, StatusCode.PermissionDenied];

    [Fact]
    public async Task A_filing_insured_in_another_province_is_permission_denied_and_changes_nothing()
    {
        var filing = NewFiling();
        Spoil(filing, "insured elsewhere: the owner files it");
        var before = await fx.OwnerFingerprintAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.CreateFilingAsync(new CreateFilingRequest { Filing = filing }, Key()).ResponseAsync);
        ErrorDetails.AssertNotThisProvince(ex, "filing.insuplc_admdvs");
        Assert.Equal(before, await fx.OwnerFingerprintAsync());
    }
    private FilingService.FilingServiceClient Client => fx.Filings(Owner);

    public static TheoryData<string, string> ContentRefusals => new()
    {
        { "care in the insured province", "filing.destination_province" },
        { "Beijing with a city", "filing.destination_city" },
        { "retired resettled with resident insurance", "filing.category" },
        { "other without a note", "filing.category_note" },
        { "valid_to before valid_from", "filing.valid_to" },
        { "identity number with a wrong check character", "filing.person.certno" },
        { "filed in the future", "filing.filed_on" },
        { "no category", "filing.category" },
    };

    [Theory]
    [MemberData(nameof(ContentRefusals))]
    public async Task A_filing_the_domain_refuses_is_invalid_argument_on_its_field_and_changes_nothing(string what, string field)
    {
        var filing = NewFiling();
        Spoil(filing, what);
        var before = await fx.OwnerFingerprintAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.CreateFilingAsync(new CreateFilingRequest { Filing = filing }, Key()).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(field, ErrorDetails.Fields(ex));
        Assert.Equal(before, await fx.OwnerFingerprintAsync());

        // The same content as a change of an existing filing is refused the same way.
        var existing = await CreateAsync();
        Spoil(existing, what);
        before = await fx.OwnerFingerprintAsync();
        ex = await Assert.ThrowsAsync<RpcException>(() => Client.ChangeFilingAsync(new ChangeFilingRequest { Filing = existing, ExpectedVersion = 1 }, Key()).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(field, ErrorDetails.Fields(ex));
        Assert.Equal(before, await fx.OwnerFingerprintAsync());
    }

    [Fact]
    public async Task Creating_an_existing_filing_is_refused_as_FILING_EXISTS()
    {
        var filing = await CreateAsync();
        var ex = await RefusedAsync(() => Client.CreateFilingAsync(new CreateFilingRequest { Filing = filing }, Key()).ResponseAsync);
        Assert.Equal((StatusCode.FailedPrecondition, "FILING_EXISTS"), (ex.StatusCode, ErrorDetails.Reason(ex)));
    }

    [Fact]
    public async Task A_step_on_a_stale_version_is_refused_as_VERSION_CONFLICT_with_the_current_version()
    {
        var filing = await CreateAsync();
        await Client.SuspendFilingAsync(new SuspendFilingRequest { FilingId = filing.FilingId, ExpectedVersion = 1 }, Key());
        var change = await RefusedAsync(() => Client.ChangeFilingAsync(new ChangeFilingRequest { Filing = filing, ExpectedVersion = 1 }, Key()).ResponseAsync);
        var resume = await RefusedAsync(() => Client.ResumeFilingAsync(new ResumeFilingRequest { FilingId = filing.FilingId, ExpectedVersion = 3 }, Key()).ResponseAsync);
        foreach (var ex in new[] { change, resume })
        {
            Assert.Equal((StatusCode.FailedPrecondition, "VERSION_CONFLICT"), (ex.StatusCode, ErrorDetails.Reason(ex)));
            Assert.Equal("2", ex.GetRpcStatus()!.GetDetail<ErrorInfo>()!.Metadata["current_version"]);
        }
    }

    [Fact]
    public async Task An_illegal_lifecycle_step_is_refused_as_ILLEGAL_LIFECYCLE_STEP()
    {
        var filing = await CreateAsync();
        var resumeActive = await RefusedAsync(() => Client.ResumeFilingAsync(new ResumeFilingRequest { FilingId = filing.FilingId, ExpectedVersion = 1 }, Key()).ResponseAsync);
        await Client.TerminateFilingAsync(new TerminateFilingRequest { FilingId = filing.FilingId, ExpectedVersion = 1 }, Key());
        var resumeTerminated = await RefusedAsync(() => Client.ResumeFilingAsync(new ResumeFilingRequest { FilingId = filing.FilingId, ExpectedVersion = 2 }, Key()).ResponseAsync);
        var changeTerminated = await RefusedAsync(() => Client.ChangeFilingAsync(new ChangeFilingRequest { Filing = filing, ExpectedVersion = 2 }, Key()).ResponseAsync);
        foreach (var ex in new[] { resumeActive, resumeTerminated, changeTerminated })
            Assert.Equal((StatusCode.FailedPrecondition, "ILLEGAL_LIFECYCLE_STEP"), (ex.StatusCode, ErrorDetails.Reason(ex)));
    }

    [Fact]
    public async Task Steps_on_an_unknown_filing_are_NOT_FOUND()
    {
        var unknown = NewFiling();
        var calls = new Func<Task>[]
        {
            () => Client.ChangeFilingAsync(new ChangeFilingRequest { Filing = unknown, ExpectedVersion = 1 }, Key()).ResponseAsync,
            () => Client.SuspendFilingAsync(new SuspendFilingRequest { FilingId = unknown.FilingId, ExpectedVersion = 1 }, Key()).ResponseAsync,
            () => Client.TerminateFilingAsync(new TerminateFilingRequest { FilingId = unknown.FilingId, ExpectedVersion = 1 }, Key()).ResponseAsync,
            () => Client.GetFilingAsync(new GetFilingRequest { OwnerProvince = Owner, FilingId = unknown.FilingId }).ResponseAsync,
        };
        foreach (var call in calls) Assert.Equal(StatusCode.NotFound, (await RefusedAsync(call)).StatusCode);
    }

    [Fact]
    public async Task Other_bad_requests_are_invalid_argument_on_their_field()
    {
        var existing = await CreateAsync();
        var otherPerson = NewFiling();
        otherPerson.FilingId = existing.FilingId;
        var cases = new (string Field, Func<Task> Call)[]
        {
            ("filing.person.certno", () => Client.ChangeFilingAsync(new ChangeFilingRequest { Filing = otherPerson, ExpectedVersion = 1 }, Key()).ResponseAsync),
            ("expected_version", () => Client.ChangeFilingAsync(new ChangeFilingRequest { Filing = existing }, Key()).ResponseAsync),
            ("filing_id", () => Client.SuspendFilingAsync(new SuspendFilingRequest { FilingId = "no spaces", ExpectedVersion = 1 }, Key()).ResponseAsync),
            ("filing", () => Client.CreateFilingAsync(new CreateFilingRequest(), Key()).ResponseAsync),
            ("idempotency-key", () => Client.CreateFilingAsync(new CreateFilingRequest { Filing = NewFiling() }).ResponseAsync),
            ("owner_province", () => Client.GetFilingAsync(new GetFilingRequest { OwnerProvince = "99", FilingId = existing.FilingId }).ResponseAsync),
            ("scope", () => Client.ListFilingsAsync(new ListFilingsRequest()).ResponseAsync),
            ("page_size", () => Client.ListFilingsAsync(new ListFilingsRequest { Scope = FilingScope.Owned, PageSize = 501 }).ResponseAsync),
            ("page_token", () => Client.ListFilingsAsync(new ListFilingsRequest { Scope = FilingScope.Owned, PageToken = "not-a-token" }).ResponseAsync),
            ("valid_on", () => Client.ListFilingsAsync(new ListFilingsRequest { Scope = FilingScope.Held, ValidOn = "2026-02-30" }).ResponseAsync),
            ("counterpart_province", () => Client.ListFilingsAsync(new ListFilingsRequest { Scope = FilingScope.Held, CounterpartProvince = "1" }).ResponseAsync),
            ("certno", () => Client.GetPersonFilingsAsync(new GetPersonFilingsRequest()).ResponseAsync),
            ("psn_cert_type", () => Client.GetPersonFilingsAsync(new GetPersonFilingsRequest { PsnCertType = "42", Certno = "X" }).ResponseAsync),
            ("cursor", () => Watch(new WatchRecordsRequest { Cursor = -1 })),
            ("kinds[0]", () => Watch(new WatchRecordsRequest { Kinds = { "Filing!" } })),
        };
        foreach (var (field, call) in cases)
        {
            var ex = await RefusedAsync(call);
            Assert.True(ex.StatusCode == StatusCode.InvalidArgument, $"{field}: {ex.StatusCode} {ex.Status.Detail}");
            Assert.Contains(field, ErrorDetails.Fields(ex));
        }
    }

    [Fact]
    public async Task Lists_page_through_every_owned_filing_once_with_their_filters()
    {
        var made = new List<Filing>();
        for (var i = 0; i < 5; i++) made.Add(await CreateAsync(f => f.Category = FilingCategory.Referral));
        var ids = new List<string>();
        var request = new ListFilingsRequest { Scope = FilingScope.Owned, Category = FilingCategory.Referral, PageSize = 2, ValidOn = Iso(Gateway.Harness.TransferDriver.Today) };
        do
        {
            var page = await Client.ListFilingsAsync(request);
            Assert.True(page.Filings.Count <= 2);
            Assert.All(page.Filings, f => Assert.Equal(FilingCategory.Referral, f.Filing.Category));
            ids.AddRange(page.Filings.Select(f => f.Filing.FilingId));
            request.PageToken = page.NextPageToken;
        } while (request.PageToken.Length > 0);
        Assert.Equal(ids.Distinct().Count(), ids.Count);
        Assert.Subset(ids.ToHashSet(), made.Select(f => f.FilingId).ToHashSet());
        var suspended = await Client.ListFilingsAsync(new ListFilingsRequest { Scope = FilingScope.Owned, Status = FilingStatus.Terminated, Category = FilingCategory.Referral });
        Assert.DoesNotContain(suspended.Filings, f => made.Any(m => m.FilingId == f.Filing.FilingId));
        var expired = await Client.ListFilingsAsync(new ListFilingsRequest { Scope = FilingScope.Owned, Category = FilingCategory.Referral, ValidOn = "2099-01-01" });
        Assert.DoesNotContain(expired.Filings, f => made.Any(m => m.FilingId == f.Filing.FilingId));
    }

    [Fact]
    public Task CreateFiling_refuses_generated_bad_filings_clearly_and_changes_nothing() =>
        RunAsync(400, async (filing, key) => await Client.CreateFilingAsync(new CreateFilingRequest { Filing = filing }, key));

    [Fact]
    public async Task ChangeFiling_refuses_generated_bad_filings_clearly_and_changes_nothing()
    {
        var existing = await CreateAsync();
        await RunAsync(250, async (filing, key) =>
        {
            await Client.ChangeFilingAsync(new ChangeFilingRequest { Filing = filing, ExpectedVersion = 1 }, key);
        }, existing);
    }

    /// <summary>Breaks a valid filing in one to three ways, each invalid whatever else the filing holds.</summary>
    private async Task RunAsync(int cases, Func<Filing, global::Grpc.Core.Metadata, Task> call, Filing? valid = null)
    {
        var fields = StringFields();
        var breakString = Gen.Select(Gen.Int[0, fields.Count - 1], Gen.Int[0, 9], Gen.Int[0, 1_000_000])
            .Select<(int, int, int), Func<Filing, string>>(t => f => BreakString(f, fields[t.Item1], t.Item2, t.Item3));
        var breakRule = Gen.Int[0, SemanticBreaks.Length - 1].Select<int, Func<Filing, string>>(i => f => { Spoil(f, SemanticBreaks[i]); return SemanticBreaks[i]; });
        var breakEnum = Gen.Select(Gen.Int[0, 2], Gen.Int[7_000, 9_000]).Select<(int, int), Func<Filing, string>>(t => f =>
        {
            switch (t.Item1)
            {
                case 0: f.Category = (FilingCategory)t.Item2; return $"category {t.Item2}";
                case 1: f.Insutype = (Proto.InsuranceType)t.Item2; return $"insutype {t.Item2}";
                default:
                    if (f.Person is null) return "gend: person already absent";
                    f.Person.Gend = (Proto.Gender)t.Item2;
                    return $"gend {t.Item2}";
            }
        });
        var gen = Gen.Select(Gen.Frequency((3, breakString), (2, breakRule), (1, breakEnum)).Array[1, 3], Gen.Int[0, 19]);
        var before = await fx.OwnerFingerprintAsync();
        var count = 0;
        await gen.SampleAsync(async (breaks, keyChoice) =>
        {
            count++;
            var filing = valid?.Clone() ?? NewFiling();
            var what = string.Join("; ", breaks.Select(b => b(filing)));
            var key = keyChoice == 0 ? Gateway.Harness.TransferDriver.Key(new string('k', 201)) : Key();
            var ex = await Assert.ThrowsAsync<RpcException>(() => call(filing, key));
            Assert.True(Clear.Contains(ex.StatusCode), $"{what}: {ex.StatusCode} {ex.Status.Detail}");
            if (ex.StatusCode == StatusCode.InvalidArgument)
                Assert.NotEmpty(ex.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations ?? []);
            Assert.True(ex.Status.Detail.Length < 4_000, $"{what}: the message echoes its input");
            Assert.Equal(before, await fx.OwnerFingerprintAsync());
        }, iter: cases, threads: 1);
        Assert.Equal(cases, count);
    }

    private static readonly string[] SemanticBreaks =
    [
        "insured elsewhere: the owner files it", "care in the insured province", "Beijing with a city", "retired resettled with resident insurance",
        "other without a note", "valid_to before valid_from", "identity number with a wrong check character", "filed in the future", "no category",
        "bad filing id", "no person", "bad date",
    ];

    private static void Spoil(Filing f, string what)
    {
        switch (what)
        {
            case "insured elsewhere: the owner files it": f.InsuplcAdmdvs = "510104"; f.DestinationProvince = Beijing; f.DestinationCity = ""; f.DestinationCounty = ""; break;
            case "care in the insured province": f.DestinationProvince = Owner; f.DestinationCity = "150200"; f.DestinationCounty = ""; break;
            case "Beijing with a city": f.DestinationProvince = Beijing; f.DestinationCity = "110100"; f.DestinationCounty = ""; break;
            case "retired resettled with resident insurance": f.Category = FilingCategory.RetiredResettled; f.Insutype = Proto.InsuranceType.Resident; break;
            case "other without a note": f.Category = FilingCategory.TemporaryOther; f.CategoryNote = ""; break;
            case "valid_to before valid_from": f.ValidTo = "2025-01-01"; f.ValidFrom = "2025-06-01"; break;
            case "identity number with a wrong check character":
                if (f.Person is not { Certno.Length: >= 18 }) { f.Person = null; break; }
                var c = f.Person.Certno;
                f.Person.Certno = c[..17] + (c[17] == '0' ? '1' : '0');
                break;
            case "filed in the future": f.FiledOn = Iso(Gateway.Harness.TransferDriver.Today.AddYears(1)); break;
            case "no category": f.Category = FilingCategory.Unspecified; break;
            case "bad filing id": f.FilingId = "F/../1"; break;
            case "no person": f.Person = null; break;
            case "bad date": f.ValidFrom = "2026-13-01"; break;
            default: throw new ArgumentOutOfRangeException(nameof(what), what, null);
        }
    }

    private static readonly string[] Hostile = ["\0", "\u001b", "\r\n", "\u202e", "\u200b", "\ufeff", "\u2028"];

    private static List<string> StringFields() =>
        Filing.Descriptor.Fields.InFieldNumberOrder().Where(d => d.FieldType == FieldType.String).Select(d => d.Name)
            .Concat(Proto.Person.Descriptor.Fields.InFieldNumberOrder().Where(d => d.FieldType == FieldType.String).Select(d => "person." + d.Name))
            .ToList();

    /// <summary>A hostile character or an over-long value: refused by the request bounds whatever the field.</summary>
    private static string BreakString(Filing f, string path, int how, int n)
    {
        var (owner, name) = path.StartsWith("person.", StringComparison.Ordinal)
            ? ((Google.Protobuf.IMessage?)f.Person, path["person.".Length..]) : (f, path);
        if (owner is null) return $"{path}: person already absent";
        var field = owner.Descriptor.FindFieldByName(name);
        var current = (string)field.Accessor.GetValue(owner);
        if (how < 5)
        {
            var bad = Hostile[n % Hostile.Length];
            var at = current.Length == 0 ? 0 : n % (current.Length + 1);
            field.Accessor.SetValue(owner, current.Insert(at, bad));
            return $"{path}: U+{(int)bad[0]:X4} at {at}";
        }
        field.Accessor.SetValue(owner, new string('长', 600 + n % 60_000));
        return $"{path}: {600 + n % 60_000} characters";
    }

    private async Task<Filing> CreateAsync(Action<Filing>? adjust = null)
    {
        var filing = NewFiling();
        adjust?.Invoke(filing);
        await Client.CreateFilingAsync(new CreateFilingRequest { Filing = filing }, Key());
        return filing;
    }

    private async Task Watch(WatchRecordsRequest request)
    {
        using var call = fx.Watch(Owner).WatchRecords(request, deadline: DateTime.UtcNow.AddSeconds(10));
        await call.ResponseStream.MoveNext(CancellationToken.None);
    }

    /// <summary>The call's refusal; a refusal never changes the owner's rows.</summary>
    private async Task<RpcException> RefusedAsync(Func<Task> call)
    {
        var before = await fx.OwnerFingerprintAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(before, await fx.OwnerFingerprintAsync());
        return ex;
    }
}
