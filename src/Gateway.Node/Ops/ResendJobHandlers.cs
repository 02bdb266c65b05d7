using System.Globalization;
using System.Text.Json;
using Gateway.Contracts.Ops.V1;
using Gateway.Node.Application;
using Gateway.Node.Infrastructure;
using Gateway.Storage;
using Npgsql;

namespace Gateway.Node.Ops;

/// <summary>Starts a paced re-send of the failed envelopes in a range; <see cref="ResendJobRunner"/> does the re-queuing.</summary>
public sealed class StartResendJobHandler(BusinessClock clock)
{
    public const int DefaultPerSecond = 50, MaxPerSecond = 1000;

    public static (DateTimeOffset From, DateTimeOffset To, string? Counterpart, int PerSecond) Validate(StartResendJobRequest r)
    {
        var v = new List<(string, string)>();
        var counterpart = OpsInput.Province(r.CounterpartProvince, "counterpart_province", v);
        var (from, to) = OpsInput.Range(r.Created, "created", true, v);
        if (r.PerSecond is < 0 or > MaxPerSecond) v.Add(("per_second", $"Between 1 and {MaxPerSecond} (0 means {DefaultPerSecond})."));
        OpsInput.RequireActor(r.Operator, r.Reason, v);
        OpsInput.ThrowIfAny(v);
        return (from!.Value, to!.Value, counterpart, r.PerSecond == 0 ? DefaultPerSecond : r.PerSecond);
    }

    public async Task<ResendJob> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, StartResendJobRequest r, CancellationToken ct)
    {
        var (from, to, counterpart, perSecond) = Validate(r);
        var now = clock.UtcNow;
        var id = await ResendJobStore.CreateAsync(conn, tx, counterpart, from, to, perSecond, r.Operator, r.Reason, now, ct)
            ?? throw new RefusedException(OpsReasons.ResendRangeTooLarge,
                $"More than {ResendJobStore.MaxEnvelopes:N0} failed envelopes match; split the range.");
        var job = (await ResendJobStore.GetAsync(conn, tx, id, forUpdate: false, ct))!;
        if (job.Matched == 0)
            throw new RefusedException(OpsReasons.NothingToResend, "No failed envelope matches the range and counterpart.");
        await OpsQueries.AuditAsync(conn, tx, r.Operator, "outbox.resend_job.start", id.ToString(CultureInfo.InvariantCulture), r.Reason,
            $"STARTED {job.Matched}", null, JsonSerializer.Serialize(new { counterpart, from = from.ToUniversalTime(), to = to.ToUniversalTime(), per_second = perSecond }), now, ct);
        return ResendJobs.View(job);
    }
}

/// <summary>Stops a running job (what it re-queued goes on) or resumes a stopped one where it left off.</summary>
public sealed class ResendJobStateHandler(BusinessClock clock)
{
    public static void Validate(ResendJobActionRequest r)
    {
        var v = new List<(string, string)>();
        if (r.JobId <= 0) v.Add(("job_id", "Name the job (a positive id)."));
        OpsInput.RequireActor(r.Operator, r.Reason, v);
        OpsInput.ThrowIfAny(v);
    }

    public async Task<ResendJob> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ResendJobActionRequest r, bool stop, CancellationToken ct)
    {
        var job = await ResendJobStore.GetAsync(conn, tx, r.JobId, forUpdate: true, ct) ?? throw new NotFoundException("No such re-send job at this node.");
        if (job.State == ResendJobStore.Done)
            throw new RefusedException(OpsReasons.ResendJobDone, "The job has re-queued everything it matched.");
        if (stop && job.State != ResendJobStore.Running)
            throw new RefusedException(OpsReasons.ResendJobNotRunning, "The job is stopped already.");
        if (!stop && job.State != ResendJobStore.Stopped)
            throw new RefusedException(OpsReasons.ResendJobNotStopped, "The job is running.");
        var now = clock.UtcNow;
        await ResendJobStore.SetStateAsync(conn, tx, job.Id, stop ? ResendJobStore.Stopped : ResendJobStore.Running, now, ct);
        await OpsQueries.AuditAsync(conn, tx, r.Operator, stop ? "outbox.resend_job.stop" : "outbox.resend_job.resume",
            job.Id.ToString(CultureInfo.InvariantCulture), r.Reason, stop ? $"STOPPED at {job.Requeued}/{job.Matched}" : $"RESUMED at {job.Requeued}/{job.Matched}",
            null, null, now, ct);
        return ResendJobs.View((await ResendJobStore.GetAsync(conn, tx, job.Id, forUpdate: false, ct))!);
    }
}

/// <summary>One job, or the newest jobs a page at a time.</summary>
public sealed class ResendJobReadHandler(NodeDatabase db)
{
    private const string Tag = "jobs";

    public async Task<ResendJob> GetAsync(GetResendJobRequest r, CancellationToken ct)
    {
        if (r.JobId <= 0) throw InvalidRequestException.Single("job_id", "Name the job (a positive id).");
        var job = await db.WithConnectionAsync((conn, token) => ResendJobStore.GetAsync(conn, null, r.JobId, forUpdate: false, token), ct);
        return ResendJobs.View(job ?? throw new NotFoundException("No such re-send job at this node."));
    }

    public Task<ListResendJobsResponse> ListAsync(ListResendJobsRequest r, CancellationToken ct)
    {
        var v = new List<(string, string)>();
        var size = OpsInput.PageSize(r.PageSize, v);
        var after = OpsInput.Cursor(r.PageToken, Tag, v, numericKey: true);
        OpsInput.ThrowIfAny(v);
        long? before = after is null ? null : long.Parse(after.Key, CultureInfo.InvariantCulture);
        return db.WithConnectionAsync(async (conn, token) =>
        {
            var rows = await ResendJobStore.ListAsync(conn, before, size + 1, token);
            var response = new ListResendJobsResponse();
            response.Jobs.AddRange(rows.Take(size).Select(ResendJobs.View));
            if (rows.Count > size)
                response.NextPageToken = OpsInput.Token(Tag, new OpsCursor(rows[size - 1].StartedAt, rows[size - 1].Id.ToString(CultureInfo.InvariantCulture)));
            return response;
        }, ct);
    }
}

internal static class ResendJobs
{
    public static ResendJob View(ResendJobRow j) => new()
    {
        JobId = j.Id, State = j.State.ToUpperInvariant(), CounterpartProvince = j.Counterpart ?? "",
        Created = new TimeRange { From = OpsInput.Time(j.CreatedFrom), To = OpsInput.Time(j.CreatedTo) },
        PerSecond = j.PerSecond, Operator = j.Operator, Reason = j.Reason, StartedAt = OpsInput.Time(j.StartedAt), UpdatedAt = OpsInput.Time(j.UpdatedAt),
        Matched = j.Matched, Requeued = j.Requeued, Acknowledged = j.Acknowledged, InFlight = j.InFlight, FailedAgain = j.FailedAgain,
    };
}
