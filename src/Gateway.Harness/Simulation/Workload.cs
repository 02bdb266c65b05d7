using Gateway.Contracts.Sync.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.ProvinceSimulator;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Gateway.Harness.Simulation;

/// <summary>
/// The run's work, planned up front from the seed (who transfers where, which filings go through which steps, which
/// enrolments collide), then executed at the scenario's concurrency and rate. Every mutating call carries an
/// idempotency key and is retried with the same key while the node is unreachable (killed, restarting), so a call the
/// node committed but could not answer is answered from its record. What each answered call promised is recorded.
/// </summary>
public sealed class Workload
{
    private readonly SimulationState _state;
    private readonly ILogger _log;
    private readonly TransferDriver _transfers;
    private readonly string _run;
    private readonly List<Func<CancellationToken, Task>> _ops = [];

    public Workload(SimulationState state, Random random, ILogger log)
    {
        _state = state;
        _log = log;
        _transfers = new TransferDriver(state.Cluster);
        // Keys and ids carry a tag of this run (from the seed), so an existing Redis never mixes two runs' keys.
        _run = $"{random.Next():x8}{Environment.TickCount64 & 0xffff:x4}";
        Plan(random);
    }

    public int Operations => _ops.Count;
    public int Started;
    public int Finished;

    // The cluster's business date: a run that moves the clock moves it for the workload too.
    private DateOnly Today => Gateway.Domain.Calendar.ChinaTime.DateOf(_state.Cluster.Time.GetUtcNow());

    private void Plan(Random random)
    {
        var provinces = _state.Scenario.Provinces;
        // Each province's people in registry order; every operation takes the next one, so no two share a person.
        var people = provinces.ToDictionary(p => p, p => new Queue<SyntheticPerson>(_state.Cluster[p].Registry.People), StringComparer.Ordinal);
        SyntheticPerson Next(string province, bool forTransfer)
        {
            var queue = people[province];
            while (queue.Count > 0)
            {
                var person = queue.Dequeue();
                if (!forTransfer || (person.BalanceFen > 0 && person.Periods.Count > 0)) return person;
            }
            throw new InvalidOperationException($"Province {province} has no unused synthetic person left; raise PeoplePerProvince.");
        }
        string Other(string province)
        {
            string other;
            do other = provinces[random.Next(provinces.Count)]; while (other == province);
            return other;
        }

        var ops = new List<Func<CancellationToken, Task>>();
        var s = _state.Scenario;
        for (var i = 0; i < s.Transfers; i++)
        {
            var origin = provinces[random.Next(provinces.Count)];
            var destination = Other(origin);
            var roll = random.NextDouble();
            var plan = roll < s.ReturnedShare ? TransferPlan.LetterReturned : roll < s.ReturnedShare + s.WithdrawnShare ? TransferPlan.Withdrawn : TransferPlan.Complete;
            var run = new TransferRun(i, origin, destination, Next(origin, forTransfer: true).IdentityNumber, plan);
            ops.Add(ct => TransferAsync(run, ct));
        }
        for (var i = 0; i < s.Filings; i++)
        {
            var owner = provinces[random.Next(provinces.Count)];
            var person = Next(owner, forTransfer: false);
            var destination = Other(owner);
            var category = (FilingCategory)(1 + random.Next(6));
            var steps = new List<(string Step, string Destination)>();
            var suspended = false;
            for (var k = random.Next(s.MaxFilingSteps + 1); k > 0; k--)
            {
                var step = suspended ? (random.Next(3) == 0 ? "terminate" : "resume") : random.Next(6) switch { 0 or 1 or 2 => "change", 3 or 4 => "suspend", _ => "terminate" };
                steps.Add((step, step == "change" ? Other(owner) : ""));
                if (step == "terminate") break;
                suspended = step == "suspend";
            }
            var index = i;
            ops.Add(ct => FilingAsync(index, owner, person, destination, category, steps, ct));
        }
        for (var i = 0; i < s.Enrolments; i++)
        {
            var index = i;
            if (random.NextDouble() < s.DuplicateShare)
            {
                var first = provinces[random.Next(provinces.Count)];
                var second = Other(first);
                var person = Next(first, forTransfer: false);
                ops.Add(ct => DuplicateAsync(index, person, first, second, ct));
            }
            else
            {
                // A person of another province published here: the change travels to that person's index province.
                var owner = provinces[random.Next(provinces.Count)];
                var person = Next(Other(owner), forTransfer: false);
                var changeAgain = random.Next(2) == 0;
                ops.Add(ct => EnrolmentAsync(index, owner, person, changeAgain, ct));
            }
        }
        // One interleaving of all kinds, fixed by the seed.
        for (var i = ops.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (ops[i], ops[j]) = (ops[j], ops[i]);
        }
        _ops.AddRange(ops);
    }

    /// <summary>Runs every planned operation; returns when all have finished or the duration cap stopped new ones.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var s = _state.Scenario;
        using var slots = new SemaphoreSlim(s.Concurrency);
        var started = DateTime.UtcNow;
        var running = new List<Task>();
        for (var i = 0; i < _ops.Count; i++)
        {
            if (DateTime.UtcNow - started > s.Duration)
            {
                _log.LogWarning("Duration cap {Duration} reached: {Left} operations not started", s.Duration, _ops.Count - i);
                break;
            }
            if (s.Rate > 0)
            {
                var due = started + TimeSpan.FromSeconds(i / s.Rate);
                if (due > DateTime.UtcNow) await Task.Delay(due - DateTime.UtcNow, ct);
            }
            await slots.WaitAsync(ct);
            var op = _ops[i];
            Interlocked.Increment(ref Started);
            running.Add(Task.Run(async () =>
            {
                try { await op(ct); }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
                catch (Exception ex) { _log.LogError(ex, "A workload operation failed unexpectedly"); _state.CallFailures.AddOrUpdate("harness:" + ex.GetType().Name, 1, (_, n) => n + 1); }
                finally { slots.Release(); Interlocked.Increment(ref Finished); }
            }, CancellationToken.None));
            if (running.Count > 4096) running.RemoveAll(t => t.IsCompleted);
        }
        await Task.WhenAll(running);
    }

    // ---- transfers ----

    private async Task TransferAsync(TransferRun run, CancellationToken ct)
    {
        _state.Transfers.Enqueue(run);
        var originRegistry = _state.Cluster[run.Origin].Registry;
        var person = originRegistry.SetStatus(run.Certno, run.Plan == TransferPlan.LetterReturned ? EnrolmentState.Active : EnrolmentState.Suspended);
        var issue = new IssueCertificateRequest { Certificate = new ProvinceDocuments(originRegistry.Profile).BuildCertificate(person, null, Today) };
        var key = $"{_run}-t{run.Index}-cert";
        var certificate = await CallAsync(run.Origin, "IssueCertificate", key,
            (h, d) => _transfers.Client(run.Origin).IssueCertificateAsync(issue, h, d, ct).ResponseAsync, c => c.Number, ct);
        if (certificate.Value is null) { run.Error = certificate.Error; return; }
        run.CertificateNumber = certificate.Value.Number;

        var submit = _transfers.BuildApplication(run.Destination, certificate.Value, Today);
        var accepted = await CallAsync(run.Destination, "SubmitApplication", $"{_run}-t{run.Index}-apply",
            (h, d) => _transfers.Client(run.Destination).SubmitApplicationAsync(submit, h, d, ct).ResponseAsync, t => t.TransferId, ct);
        if (accepted.Value is null) { run.Error = accepted.Error; return; }
        run.TransferId = accepted.Value.TransferId;

        if (run.Plan != TransferPlan.Withdrawn) return;
        var withdraw = new WithdrawTransferRequest { TransferId = run.TransferId, Reason = "the person decided to stay (harness)" };
        var withdrawn = await CallAsync(run.Destination, "WithdrawTransfer", $"{_run}-t{run.Index}-withdraw",
            (h, d) => _transfers.Client(run.Destination).WithdrawTransferAsync(withdraw, h, d, ct).ResponseAsync, t => t.TransferId, ct,
            refusalIsAnswer: true);
        run.WithdrawalRequested = withdrawn.Value is not null;
    }

    // ---- filings ----

    private async Task FilingAsync(int index, string owner, SyntheticPerson person, string destination, FilingCategory category,
        List<(string Step, string Destination)> steps, CancellationToken ct)
    {
        var (city, county) = CareCodes(destination);
        var filing = SyncDriver.BuildFiling(person, destination, city, county, category, CareAddress(destination, index), Today);
        filing.FilingId = $"F{owner}-{_run[..8]}{index:x6}";
        if (category == FilingCategory.TemporaryOther) filing.CategoryNote = "探亲期间就医"; // the form asks what "other" is
        var run = new FilingRun(owner, filing.FilingId, person.IdentityNumber);
        _state.Filings.Enqueue(run);
        var client = new FilingService.FilingServiceClient(_state.Cluster[owner].Channel);
        var created = await CallAsync(owner, "CreateFiling", $"{_run}-f{index}-create",
            (h, d) => client.CreateFilingAsync(new CreateFilingRequest { Filing = filing }, h, d, ct).ResponseAsync, v => $"{owner}:{v.Filing.FilingId}", ct, version: v => v.Version);
        if (created.Value is null) { run.Error = created.Error; return; }
        run.Version = created.Value.Version;
        run.Steps.Add("create");
        var current = filing;
        for (var k = 0; k < steps.Count; k++)
        {
            var (step, to) = steps[k];
            var expected = run.Version;
            var key = $"{_run}-f{index}-{k}-{step}";
            Func<Metadata, DateTime, Task<FilingView>> call = step switch
            {
                "change" => (h, d) =>
                {
                    var (c, n) = CareCodes(to);
                    var moved = SyncDriver.MovedTo(current, to, c, n, CareAddress(to, index + k + 1));
                    return client.ChangeFilingAsync(new ChangeFilingRequest { Filing = moved, ExpectedVersion = expected }, h, d, ct).ResponseAsync;
                },
                "suspend" => (h, d) => client.SuspendFilingAsync(new SuspendFilingRequest { FilingId = filing.FilingId, ExpectedVersion = expected, Reason = "harness: suspended" }, h, d, ct).ResponseAsync,
                "resume" => (h, d) => client.ResumeFilingAsync(new ResumeFilingRequest { FilingId = filing.FilingId, ExpectedVersion = expected, Reason = "harness: resumed" }, h, d, ct).ResponseAsync,
                _ => (h, d) => client.TerminateFilingAsync(new TerminateFilingRequest { FilingId = filing.FilingId, ExpectedVersion = expected, Reason = "harness: terminated" }, h, d, ct).ResponseAsync,
            };
            var view = await CallAsync(owner, step + "Filing", key, call, v => $"{owner}:{v.Filing.FilingId}", ct, version: v => v.Version);
            if (view.Value is null) { run.Error = view.Error; return; }
            current = view.Value.Filing;
            run.Version = view.Value.Version;
            run.Steps.Add(step + (to.Length > 0 ? $"→{to}" : ""));
        }
    }

    private static (string? City, string? County) CareCodes(string province)
    {
        if (Gateway.Domain.Documents.CareFiling.ProvinceOnlyDestinations.Contains(province)) return (null, null);
        var capital = ProvinceProfile.For(province).Capital;
        return (capital.PoolingRegion, capital.Code);
    }

    private static string CareAddress(string province, int n) => $"{ProvinceProfile.For(province).Name}某路{n % 999 + 1}号";

    // ---- enrolment ----

    private async Task EnrolmentAsync(int index, string owner, SyntheticPerson person, bool changeAgain, CancellationToken ct)
    {
        var month = Today;
        var record = SyncDriver.EmployeeRecord(person.IdentityNumber, ProvinceProfile.For(owner).Capital.PoolingRegion,
            SyncDriver.Month(month.AddMonths(-30)), SyncDriver.Month(month.AddMonths(-20)), currentEmployment: false);
        record.RecordId = $"E{owner}-{_run[..8]}{index:x6}";
        record.Status = Gateway.Contracts.Transfer.V1.EnrolmentStatus.Terminated;
        var version = await PublishAsync(owner, record, 0, $"{_run}-e{index}-publish", ct);
        if (version is null || !changeAgain) return;
        var changed = record.Clone();
        changed.PaidTo = SyncDriver.Month(month.AddMonths(-19));
        await PublishAsync(owner, changed, version.Value, $"{_run}-e{index}-change", ct);
    }

    /// <summary>Seed 003 第二十三条(一): employee insurance in two provinces over overlapping months.</summary>
    private async Task DuplicateAsync(int index, SyntheticPerson person, string first, string second, CancellationToken ct)
    {
        var month = Today;
        var atFirst = SyncDriver.EmployeeRecord(person.IdentityNumber, person.PoolingRegion,
            SyncDriver.Month(new DateOnly(month.Year - 5, 1, 1)), SyncDriver.Month(month.AddMonths(-2)), currentEmployment: false);
        atFirst.RecordId = $"E{first}-{_run[..8]}{index:x6}a";
        var atSecond = SyncDriver.EmployeeRecord(person.IdentityNumber, ProvinceProfile.For(second).Capital.PoolingRegion,
            SyncDriver.Month(month.AddMonths(-4)), SyncDriver.Month(month), currentEmployment: true);
        atSecond.RecordId = $"E{second}-{_run[..8]}{index:x6}b";
        var a = await PublishAsync(first, atFirst, 0, $"{_run}-d{index}-a", ct);
        var b = await PublishAsync(second, atSecond, 0, $"{_run}-d{index}-b", ct);
        if (a is not null && b is not null)
            _state.Duplicates.Enqueue(new DuplicatePair(person.IdentityNumber, first, atFirst.RecordId, second, atSecond.RecordId));
    }

    private async Task<long?> PublishAsync(string owner, EnrolmentRecord record, long expected, string key, CancellationToken ct)
    {
        var client = new EnrolmentService.EnrolmentServiceClient(_state.Cluster[owner].Channel);
        var request = new PublishEnrolmentRequest { Record = record, ExpectedVersion = expected };
        var published = await CallAsync(owner, "PublishEnrolment", key,
            (h, d) => client.PublishEnrolmentAsync(request, h, d, ct).ResponseAsync, _ => $"{owner}:{record.RecordId}", ct, version: r => r.Version);
        if (published.Value is null) return null;
        _state.Enrolments.Enqueue((owner, record.RecordId, published.Value.Version));
        return published.Value.Version;
    }

    // ---- calls ----

    private readonly record struct Outcome<T>(T? Value, string? Error);

    /// <summary>
    /// One mutating call, retried with the same key while the node is away or busy (at most 3 minutes). An OK answer is
    /// recorded as a promise the node must keep; a refusal is an answer too when <paramref name="refusalIsAnswer"/>.
    /// </summary>
    private async Task<Outcome<T>> CallAsync<T>(string province, string method, string key, Func<Metadata, DateTime, Task<T>> call,
        Func<T, string> entity, CancellationToken ct, bool refusalIsAnswer = false, Func<T, long>? version = null) where T : class
    {
        var until = DateTime.UtcNow.AddMinutes(3);
        var delay = TimeSpan.FromMilliseconds(200);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var value = await call(new Metadata { { "idempotency-key", key } }, DateTime.UtcNow.AddSeconds(30));
                _state.Answered.Enqueue(new AnsweredCall(province, method, key, entity(value), version?.Invoke(value) ?? 0));
                return new(value, null);
            }
            catch (RpcException ex) when (Transient(ex.StatusCode) && DateTime.UtcNow < until && !ct.IsCancellationRequested)
            {
                var retry = ex.GetRpcStatus()?.GetDetail<Google.Rpc.RetryInfo>()?.RetryDelay?.ToTimeSpan();
                await Task.Delay(retry is { } r && r > TimeSpan.Zero ? r : delay, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
            }
            catch (RpcException ex) when (refusalIsAnswer && ex.StatusCode == StatusCode.FailedPrecondition)
            {
                return new(null, null);
            }
            catch (RpcException ex)
            {
                var what = $"{method}: {Gateway.Contracts.StatusNames.Of(ex.StatusCode)}";
                _state.CallFailures.AddOrUpdate(what, 1, (_, n) => n + 1);
                _log.LogWarning("{Method} at {Province} failed for good after {Attempts} attempt(s): {Status} {Detail}", method, province, attempt, ex.StatusCode, ex.Status.Detail);
                return new(null, $"{what}: {ex.Status.Detail}");
            }
        }
    }

    private static bool Transient(StatusCode code) =>
        code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted or StatusCode.Cancelled;
}
