using Gateway.Contracts.Ops.V1;
using Gateway.Contracts.Sync.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.ProvinceSimulator;
using Google.Protobuf;
using Grpc.Core;
using Npgsql;
using Proto = Gateway.Contracts.Transfer.V1;

namespace Gateway.Harness.BadInput;

/// <summary>A valid call the arena made, kept so the run can repeat it exactly (OK, nothing again) or reuse its key for another body.</summary>
internal sealed record MadeCall(string Province, string Service, string Method, byte[] Body, string Key);

/// <summary>
/// What the bad inputs aim at, made with valid calls before the run's first digest: at the origin an issued certificate
/// serving an open transfer whose origin check waits unanswered, a second live certificate, an active and a terminated
/// filing, an enrolment record; at the destination the transfer. Plus valid requests the breaks start from.
/// </summary>
internal sealed class BadInputArena
{
    public required string Origin { get; init; }
    public required string Destination { get; init; }
    public required string TransferId { get; init; }
    public string PendingItemId => $"{TransferId}:check-origin";
    public required Certificate NewCertificate { get; init; }
    public required SubmitApplicationRequest NewApplication { get; init; }
    public required Filing ActiveFiling { get; init; }
    public required Filing TerminatedFiling { get; init; }
    public required Filing NewFiling { get; init; }
    public required EnrolmentRecord Record { get; init; }
    public required EnrolmentRecord NewRecord { get; init; }
    public required string OriginRegion { get; init; }
    public required string DestinationRegion { get; init; }
    public required string DestinationCity { get; init; }
    public required List<MadeCall> Made { get; init; }

    /// <summary>Provinces whose filings name the province only (seed rule).</summary>
    public static readonly HashSet<string> ProvinceOnly = ["11", "12", "31", "46", "50", "54", "66"];

    public static async Task<BadInputArena> CreateAsync(GatewayCluster cluster, string origin, string destination, CancellationToken ct)
    {
        var made = new List<MadeCall>();
        var today = TransferDriver.Today;
        var transfers = new Func<string, TransferService.TransferServiceClient>(p => new(cluster[p].Channel));
        var filings = new FilingService.FilingServiceClient(cluster[origin].Channel);
        var enrolment = new EnrolmentService.EnrolmentServiceClient(cluster[origin].Channel);
        var originDocs = new ProvinceDocuments(cluster[origin].Registry.Profile);

        async Task<TResponse> Call<TRequest, TResponse>(string province, string service, string method, TRequest request,
            Func<TRequest, Metadata, AsyncUnaryCall<TResponse>> call) where TRequest : IMessage
        {
            var key = $"bad-input-arena-{Guid.NewGuid():N}";
            var response = await TransferDriver.WhileBusyAsync(() => call(request, TransferDriver.Key(key)).ResponseAsync, ct);
            made.Add(new MadeCall(province, service, method, request.ToByteArray(), key));
            return response;
        }

        // People from the end of the registry that no transfer uses yet (a repeated run on one cluster skips the used).
        var candidates = cluster[origin].Registry.People.Where(p => p.BalanceFen > 0 && p.Periods.Count > 0).Reverse().ToList();
        var issued = new List<Certificate>();
        SyntheticPerson? spare = null;
        foreach (var person in candidates)
        {
            if (issued.Count == 2) { spare = person; break; }
            cluster[origin].Registry.SetStatus(person.IdentityNumber, EnrolmentState.Suspended);
            try
            {
                var request = new IssueCertificateRequest { Certificate = originDocs.BuildCertificate(person, null, today) };
                issued.Add(await Call(origin, TransferService.Descriptor.FullName, "IssueCertificate", request,
                    (r, k) => transfers(origin).IssueCertificateAsync(r, k, DateTime.UtcNow.AddSeconds(30), ct)));
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition) { /* in use by an earlier transfer */ }
        }
        if (spare is null) throw new InvalidOperationException($"Province {origin} has too few people for the bad-input arena (3 needed).");

        var driver = new TransferDriver(cluster);
        var submit = driver.BuildApplication(destination, issued[0], today);
        var transfer = await Call(destination, TransferService.Descriptor.FullName, "SubmitApplication", submit,
            (r, k) => transfers(destination).SubmitApplicationAsync(r, k, DateTime.UtcNow.AddSeconds(30), ct));

        var careRegion = cluster[destination].Registry.People[0].PoolingRegion;
        var city = ProvinceOnly.Contains(destination) ? "" : careRegion[..4] + "00";
        var insured = spare.PoolingRegion;
        Filing NewFilingFor(int n) => new()
        {
            FilingId = $"F{origin}-bad-{Guid.NewGuid():N}"[..24],
            FiledOn = SyncDriver.Iso(today),
            Person = new Proto.Person
            {
                PsnName = "测试人", PsnCertType = "01", Phone = "13800000000",
                Certno = IdentityNumbers.Compose(insured, new DateOnly(1960, 1, 1).AddDays(n * 37), 100 + n),
            },
            SecondPhone = "0471-7654321",
            Insutype = Proto.InsuranceType.Employee,
            Category = FilingCategory.LongTermResident,
            InsuplcAdmdvs = insured,
            DestinationProvince = destination,
            DestinationCity = city,
            DestinationCounty = "",
            InsuredAddress = "参保地联系地址1号",
            CareAddress = "就医地联系地址2号",
            ValidFrom = SyncDriver.Iso(today),
            ValidTo = SyncDriver.Iso(today.AddYears(1)),
        };
        static Filing WithGender(Filing f)
        {
            f.Person.Gend = (f.Person.Certno[16] - '0') % 2 == 1 ? Proto.Gender.Male : Proto.Gender.Female;
            return f;
        }
        var seed = Random.Shared.Next(1, 200);
        var active = WithGender(NewFilingFor(seed));
        var terminated = WithGender(NewFilingFor(seed + 1));
        await Call(origin, FilingService.Descriptor.FullName, "CreateFiling", new CreateFilingRequest { Filing = active },
            (r, k) => filings.CreateFilingAsync(r, k, DateTime.UtcNow.AddSeconds(30), ct));
        await Call(origin, FilingService.Descriptor.FullName, "CreateFiling", new CreateFilingRequest { Filing = terminated },
            (r, k) => filings.CreateFilingAsync(r, k, DateTime.UtcNow.AddSeconds(30), ct));
        await Call(origin, FilingService.Descriptor.FullName, "TerminateFiling",
            new TerminateFilingRequest { FilingId = terminated.FilingId, ExpectedVersion = 1, Reason = "bad-input arena" },
            (r, k) => filings.TerminateFilingAsync(r, k, DateTime.UtcNow.AddSeconds(30), ct));

        var record = SyncDriver.EmployeeRecord(spare.IdentityNumber, spare.PoolingRegion, "2015-01", SyncDriver.Month(today), true);
        await Call(origin, EnrolmentService.Descriptor.FullName, "PublishEnrolment", new PublishEnrolmentRequest { Record = record },
            (r, k) => enrolment.PublishEnrolmentAsync(r, k, DateTime.UtcNow.AddSeconds(30), ct));
        var other = candidates.First(p => p.IdentityNumber != spare.IdentityNumber && p.IdentityNumber != issued[0].Person.Certno
                                          && p.IdentityNumber != issued[1].Person.Certno);

        // The origin check waits for an answer that never comes while the province systems are paused.
        await WaitAsync(async () => await CountAsync(cluster[origin].ConnectionString, "SELECT count(*) FROM work_items WHERE item_id = @id",
            $"{transfer.TransferId}:check-origin") == 1, TimeSpan.FromSeconds(60), "the transfer's origin check", ct);

        return new BadInputArena
        {
            Origin = origin,
            Destination = destination,
            TransferId = transfer.TransferId,
            NewCertificate = originDocs.BuildCertificate(other, null, today),
            NewApplication = driver.BuildApplication(destination, issued[1], today),
            ActiveFiling = active,
            TerminatedFiling = terminated,
            NewFiling = WithGender(NewFilingFor(seed + 2)),
            Record = record,
            NewRecord = SyncDriver.EmployeeRecord(other.IdentityNumber, other.PoolingRegion, "2016-01", SyncDriver.Month(today), true),
            OriginRegion = insured,
            DestinationRegion = careRegion,
            DestinationCity = city,
            Made = made,
        };
    }

    internal static async Task<long> CountAsync(string connectionString, string sql, string id)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue("id", id);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    internal static async Task WaitAsync(Func<Task<bool>> probe, TimeSpan timeout, string what, CancellationToken ct)
    {
        var until = DateTime.UtcNow + timeout;
        while (!await probe())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.");
            await Task.Delay(100, ct);
        }
    }
}
