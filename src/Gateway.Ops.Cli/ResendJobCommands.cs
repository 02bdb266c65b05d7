using System.CommandLine;
using Gateway.Contracts.Ops.V1;
using Grpc.Core;
using Spectre.Console;

namespace Gateway.Ops.Cli;

/// <summary>
/// resend-job start|show|list|stop|resume: a paced bulk re-send the node runs itself, so it goes on if this process
/// ends. start --wait (and show --wait) follow it with a progress bar until every envelope it re-queued has an outcome.
/// </summary>
internal static class ResendJobCommands
{
    public static Command Build(SessionFactory sessions)
    {
        var group = new Command("resend-job", "Paced bulk re-send of failed envelopes, run by the node; stoppable and resumable.");
        group.Subcommands.Add(Start(sessions));
        group.Subcommands.Add(Show(sessions));
        group.Subcommands.Add(List(sessions));
        group.Subcommands.Add(Change(sessions, "stop", "Stop a running job; what it re-queued goes on.", (ops, r, o) => ops.StopResendJobAsync(r, o).ResponseAsync));
        group.Subcommands.Add(Change(sessions, "resume", "Resume a stopped job where it left off.", (ops, r, o) => ops.ResumeResendJobAsync(r, o).ResponseAsync));
        return group;
    }

    private static Option<bool> Wait() => new("--wait") { Description = "Follow the job with a progress bar until every envelope it re-queued has an outcome." };

    private static Command Start(SessionFactory sessions)
    {
        var counterpart = CliOptions.Counterpart();
        var from = CliOptions.Time("--from", "Envelopes created at or after.", required: true);
        var to = CliOptions.Time("--to", "Envelopes created before.", required: true);
        var perSecond = new Option<int>("--per-second") { Description = "Envelopes re-queued per second, 1..1000 (0: the node's default, 50)." };
        var wait = Wait();
        var actor = new ActionCommands.Actor();
        var command = new Command("start", "Start re-sending every failed envelope created in a range (optionally for one counterpart), at a steady pace.")
        {
            counterpart, from, to, perSecond, wait,
        };
        actor.AddTo(command);
        command.SetAction(async (p, ct) =>
        {
            using var s = sessions.Open(p);
            var request = new StartResendJobRequest
            {
                CounterpartProvince = p.GetValue(counterpart) ?? "", Created = CliOptions.Range(p.GetValue(from), p.GetValue(to)),
                PerSecond = p.GetValue(perSecond), Operator = actor.Who(p, sessions), Reason = p.GetValue(actor.Reason)!,
            };
            var job = await s.Ops().StartResendJobAsync(request, s.Call(new Metadata { { ActionCommands.KeyHeader, actor.KeyOf(p) } }).WithCancellationToken(ct));
            return p.GetValue(wait) ? await FollowAsync(s, job, ct) : Print(s, job);
        });
        return command;
    }

    private static Command Show(SessionFactory sessions)
    {
        var id = new Argument<long>("job-id");
        var wait = Wait();
        var command = new Command("show", "One job's state and how its envelopes fared.") { id, wait };
        command.SetAction(async (p, ct) =>
        {
            using var s = sessions.Open(p);
            var job = await s.Ops().GetResendJobAsync(new GetResendJobRequest { JobId = p.GetValue(id) }, s.Call().WithCancellationToken(ct));
            return p.GetValue(wait) ? await FollowAsync(s, job, ct) : Print(s, job);
        });
        return command;
    }

    private static Command List(SessionFactory sessions)
    {
        var pageSize = CliOptions.PageSize();
        var pageToken = CliOptions.PageToken();
        var command = new Command("list", "Re-send jobs, newest first.") { pageSize, pageToken };
        command.SetAction(async (p, ct) =>
        {
            using var s = sessions.Open(p);
            var page = await s.Ops().ListResendJobsAsync(new ListResendJobsRequest { PageSize = p.GetValue(pageSize), PageToken = p.GetValue(pageToken) ?? "" },
                s.Call().WithCancellationToken(ct));
            if (s.Json) { s.PrintJson(page); return ExitCodes.Ok; }
            var table = Session.NewTable("job", "state", "counterpart", "per second", "matched", "re-queued", "acknowledged", "in flight", "failed again", "started (Beijing)", "operator");
            foreach (var j in page.Jobs)
                Session.Row(table, j.JobId, j.State, j.CounterpartProvince, j.PerSecond, j.Matched, j.Requeued, j.Acknowledged, j.InFlight, j.FailedAgain,
                    Session.Time(j.StartedAt), j.Operator);
            s.Table(table);
            s.NextPage(page.NextPageToken);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Change(SessionFactory sessions, string name, string description,
        Func<OpsService.OpsServiceClient, ResendJobActionRequest, CallOptions, Task<ResendJob>> call)
    {
        var id = new Argument<long>("job-id");
        var actor = new ActionCommands.Actor();
        var command = new Command(name, description) { id };
        actor.AddTo(command);
        command.SetAction(async (p, ct) =>
        {
            using var s = sessions.Open(p);
            var request = new ResendJobActionRequest { JobId = p.GetValue(id), Operator = actor.Who(p, sessions), Reason = p.GetValue(actor.Reason)! };
            return Print(s, await call(s.Ops(), request, s.Call(new Metadata { { ActionCommands.KeyHeader, actor.KeyOf(p) } }).WithCancellationToken(ct)));
        });
        return command;
    }

    /// <summary>Done once the job re-queued everything and nothing it re-queued is still on its way (or it was stopped).</summary>
    public static bool Settled(ResendJob j) => j.State == "STOPPED" || (j.State == "DONE" && j.InFlight == 0);

    private static async Task<int> FollowAsync(Session s, ResendJob job, CancellationToken ct)
    {
        var ops = s.Ops();
        async Task<ResendJob> PollAsync(Action<ResendJob> progress)
        {
            while (!Settled(job))
            {
                progress(job);
                await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
                job = await ops.GetResendJobAsync(new GetResendJobRequest { JobId = job.JobId }, s.Call().WithCancellationToken(ct));
            }
            progress(job);
            return job;
        }

        if (s.Json) job = await PollAsync(_ => { });
        else
            await s.Console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async ctx =>
                {
                    var requeued = ctx.AddTask("re-queued", maxValue: Math.Max(1, job.Matched));
                    var settled = ctx.AddTask("outcome known", maxValue: Math.Max(1, job.Matched));
                    await PollAsync(j =>
                    {
                        requeued.Value = j.Requeued;
                        requeued.Description = $"job {j.JobId} {j.State}: {j.Requeued}/{j.Matched} re-queued at {j.PerSecond}/s";
                        settled.Value = j.Acknowledged + j.FailedAgain;
                        settled.Description = $"{j.Acknowledged} acknowledged, {j.InFlight} in flight, {j.FailedAgain} failed again";
                    });
                    requeued.Value = requeued.MaxValue;
                    settled.Value = settled.MaxValue;
                });
        var code = Print(s, job);
        if (!s.Json)
            s.Console.WriteLine($"job {job.JobId} {job.State}: {job.Acknowledged} acknowledged, {job.FailedAgain} failed again, {job.InFlight} in flight, of {job.Matched} matched"
                + $" ({job.Matched - job.Requeued} not re-queued: re-sent another way or left when stopped).");
        return code;
    }

    private static int Print(Session s, ResendJob j)
    {
        if (s.Json) { s.PrintJson(j); return ExitCodes.Ok; }
        var table = Session.NewTable("job", "state", "counterpart", "per second", "matched", "re-queued", "acknowledged", "in flight", "failed again", "updated (Beijing)");
        Session.Row(table, j.JobId, j.State, j.CounterpartProvince.Length == 0 ? "all" : j.CounterpartProvince, j.PerSecond, j.Matched, j.Requeued,
            j.Acknowledged, j.InFlight, j.FailedAgain, Session.Time(j.UpdatedAt));
        s.Table(table);
        return ExitCodes.Ok;
    }
}
