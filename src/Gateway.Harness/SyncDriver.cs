using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Sync.V1;
using Google.Protobuf;
using Gateway.ProvinceSimulator;
using Grpc.Core;
using Proto = Gateway.Contracts.Transfer.V1;

namespace Gateway.Harness;

/// <summary>
/// Drives record sync the way province systems would: the insured province files and changes care filings (FilingService),
/// each owner publishes its enrolment records (EnrolmentService). Waits are bounded and report "not in time" as null/false,
/// so a caller such as the demo can count a miss instead of stopping at the first one.
/// </summary>
public sealed class SyncDriver(GatewayCluster cluster)
{
    public FilingService.FilingServiceClient Filings(string province) => new(cluster[province].Channel);

    public EnrolmentService.EnrolmentServiceClient Enrolment(string province) => new(cluster[province].Channel);

    public static string Iso(DateOnly day) => day.ToString("yyyy-MM-dd");

    public static string Month(DateOnly day) => day.ToString("yyyy-MM");

    public static string NewFilingId(string owner) => $"F{owner}-{Guid.NewGuid():N}"[..24];

    /// <summary>
    /// A valid filing (seed 004 附表13) for <paramref name="person"/>, insured in their pooling region, for care in
    /// <paramref name="destinationProvince"/>; city and county empty when null (as province-only destinations need).
    /// Only the person fields the form asks for are sent.
    /// </summary>
    public static Filing BuildFiling(SyntheticPerson person, string destinationProvince, string? city, string? county,
        FilingCategory category, string careAddress, DateOnly filedOn) => new()
    {
        FilingId = NewFilingId(person.PoolingRegion[..2]),
        FiledOn = Iso(filedOn),
        Person = new Proto.Person
        {
            PsnName = person.Name, PsnCertType = "01", Certno = person.IdentityNumber, Gend = person.Sex, Phone = person.Phone,
        },
        Insutype = Proto.InsuranceType.Employee,
        Category = category,
        InsuplcAdmdvs = person.PoolingRegion,
        DestinationProvince = destinationProvince,
        DestinationCity = city ?? "",
        DestinationCounty = county ?? "",
        InsuredAddress = person.HouseholdAddress,
        CareAddress = careAddress,
        ValidFrom = Iso(filedOn),
        ValidTo = Iso(filedOn.AddYears(1)), // a validity period, not a deadline
    };

    /// <summary>
    /// Version 1 of a new filing as its owner's node would send it to the province of care, unsigned: what tests and the
    /// bad-input run sign (or forge) and put on an inbox topic themselves.
    /// </summary>
    public static Envelope FilingChangedEnvelope(string owner, string care, Filing filing, DateOnly changedOn, DateTimeOffset? sentAt = null)
    {
        var correlation = $"{owner}F{filing.FilingId}";
        var payload = new FilingChanged { OwnerProvince = owner, Filing = filing, Version = 1, Action = FilingAction.New, ChangedOn = Iso(changedOn) };
        return new Envelope
        {
            MessageId = $"{owner}:{correlation}:filing-v1-{care}:{Guid.NewGuid():N}",
            MessageType = nameof(FilingChanged),
            SenderProvince = owner,
            ReceiverProvince = care,
            CorrelationId = correlation,
            SentAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(sentAt ?? DateTimeOffset.UtcNow),
            SchemaVersion = "1.0",
            Payload = payload.ToByteString(),
            Attempt = 1,
        };
    }

    /// <summary>The same filing moved to another province of care (登记类别 变更).</summary>
    public static Filing MovedTo(Filing filing, string destinationProvince, string? city, string? county, string careAddress)
    {
        var moved = filing.Clone();
        moved.DestinationProvince = destinationProvince;
        moved.DestinationCity = city ?? "";
        moved.DestinationCounty = county ?? "";
        moved.CareAddress = careAddress;
        return moved;
    }

    public Task<FilingView> CreateFilingAsync(string owner, Filing filing, CancellationToken ct = default)
    {
        var key = TransferDriver.Key();
        return TransferDriver.WhileBusyAsync(() => Filings(owner).CreateFilingAsync(new CreateFilingRequest { Filing = filing }, key,
            DateTime.UtcNow.AddSeconds(30), ct).ResponseAsync, ct);
    }

    public Task<FilingView> ChangeFilingAsync(string owner, Filing filing, long expectedVersion, CancellationToken ct = default)
    {
        var key = TransferDriver.Key();
        return TransferDriver.WhileBusyAsync(() => Filings(owner).ChangeFilingAsync(
            new ChangeFilingRequest { Filing = filing, ExpectedVersion = expectedVersion }, key, DateTime.UtcNow.AddSeconds(30), ct).ResponseAsync, ct);
    }

    /// <summary>The filing as <paramref name="province"/> has it (owned or held), or null when it has none.</summary>
    public async Task<FilingView?> TryGetFilingAsync(string province, string owner, string filingId, CancellationToken ct = default)
    {
        try
        {
            return await Filings(province).GetFilingAsync(new GetFilingRequest { OwnerProvince = owner, FilingId = filingId },
                deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Polls until <paramref name="province"/> has the filing at <paramref name="version"/> or later; null when not in time.</summary>
    public async Task<FilingView?> WaitForFilingAsync(string province, string owner, string filingId, long version, TimeSpan timeout, CancellationToken ct = default)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await TryGetFilingAsync(province, owner, filingId, ct) is { } view && view.Version >= version) return view;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded) { }
            if (DateTime.UtcNow >= until) return null;
            await Task.Delay(50, ct);
        }
    }

    /// <summary>Polls until <paramref name="province"/> no longer has the filing (a removal arrived); false when not in time.</summary>
    public async Task<bool> WaitForFilingGoneAsync(string province, string owner, string filingId, TimeSpan timeout, CancellationToken ct = default)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await TryGetFilingAsync(province, owner, filingId, ct) is null) return true;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded) { }
            if (DateTime.UtcNow >= until) return false;
            await Task.Delay(50, ct);
        }
    }

    /// <summary>Every filing of <paramref name="owner"/> that <paramref name="province"/> holds as province of care (all pages).</summary>
    public async Task<List<FilingView>> ListHeldAsync(string province, string owner, CancellationToken ct = default)
    {
        var all = new List<FilingView>();
        var request = new ListFilingsRequest { Scope = FilingScope.Held, CounterpartProvince = owner, PageSize = 500 };
        do
        {
            var page = await Filings(province).ListFilingsAsync(request, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
            all.AddRange(page.Filings);
            request.PageToken = page.NextPageToken;
        } while (request.PageToken.Length > 0);
        return all;
    }

    /// <summary>An employee-insurance record (310) of the person in <paramref name="region"/> paid from..to (yyyy-MM).</summary>
    public static EnrolmentRecord EmployeeRecord(string certno, string region, string paidFrom, string paidTo, bool currentEmployment) => new()
    {
        RecordId = $"E{region[..2]}-{Guid.NewGuid():N}"[..24],
        Person = new PersonRef { PsnCertType = "01", Certno = certno },
        InsuplcAdmdvs = region,
        Insutype = Proto.InsuranceType.Employee,
        Status = Proto.EnrolmentStatus.Active,
        PaidFrom = paidFrom,
        PaidTo = paidTo,
        Basis = EnrolmentBasis.Standard,
        CurrentEmployment = currentEmployment,
    };

    /// <summary>Publishes a record at its owner: <paramref name="expectedVersion"/> 0 creates it.</summary>
    public Task<PublishEnrolmentResponse> PublishEnrolmentAsync(string owner, EnrolmentRecord record, long expectedVersion = 0, CancellationToken ct = default)
    {
        var key = TransferDriver.Key();
        return TransferDriver.WhileBusyAsync(() => Enrolment(owner).PublishEnrolmentAsync(
            new PublishEnrolmentRequest { Record = record, ExpectedVersion = expectedVersion }, key, DateTime.UtcNow.AddSeconds(30), ct).ResponseAsync, ct);
    }

    public async Task<CheckDuplicateEnrolmentResponse> CheckDuplicateAsync(string province, string certno, CancellationToken ct = default) =>
        await Enrolment(province).CheckDuplicateEnrolmentAsync(
            new CheckDuplicateEnrolmentRequest { Person = new PersonRef { PsnCertType = "01", Certno = certno } },
            deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);

    /// <summary>
    /// Polls CheckDuplicateEnrolment at <paramref name="province"/> until a finding of <paramref name="kind"/> shows
    /// (the index province detects once both records have arrived); null when not in time.
    /// </summary>
    public async Task<(CheckDuplicateEnrolmentResponse Response, DuplicateEnrolmentFinding Finding)?> WaitForFindingAsync(
        string province, string certno, DuplicateEnrolmentKind kind, TimeSpan timeout, CancellationToken ct = default)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var response = await CheckDuplicateAsync(province, certno, ct);
                if (response.Findings.FirstOrDefault(f => f.Kind == kind) is { } finding) return (response, finding);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded) { }
            if (DateTime.UtcNow >= until) return null;
            await Task.Delay(100, ct);
        }
    }

    /// <summary>The work-item id under which each involved province gets a duplicate-enrolment finding.</summary>
    public static string DuplicateWorkItemId(DuplicateEnrolmentFinding finding) => $"dup:{finding.FindingId}";

    /// <summary>
    /// Waits until <paramref name="province"/>'s simulated province system has received the finding's DUPLICATE_ENROLMENT
    /// work item and the node accepted its acknowledgement; null when not in time (or no simulator runs there).
    /// </summary>
    public async Task<AnsweredWorkItem?> WaitForDuplicateAcknowledgedAsync(string province, DuplicateEnrolmentFinding finding, TimeSpan timeout)
    {
        if (cluster[province].Simulator is not { } simulator) return null;
        try
        {
            return await simulator.WaitForAnsweredAsync(
                a => a.ItemId == DuplicateWorkItemId(finding) && a.Kind == Proto.WorkItemKind.DuplicateEnrolment, timeout);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="province"/>'s simulated system has received the finding's work item at all.</summary>
    public bool ReceivedDuplicate(string province, DuplicateEnrolmentFinding finding) =>
        cluster[province].Simulator?.ReceivedItems.Any(i => i.ItemId == DuplicateWorkItemId(finding)) ?? false;
}
