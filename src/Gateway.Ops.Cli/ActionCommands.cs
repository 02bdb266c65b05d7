using System.CommandLine;
using Gateway.Contracts.Ops.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Spectre.Console;

namespace Gateway.Ops.Cli;

/// <summary>The actions. Each needs --reason, names its --operator, and sends an idempotency key (--key, default a new GUID).</summary>
internal static class ActionCommands
{
    public const string KeyHeader = "idempotency-key";

    /// <summary>--reason, --operator, --key: fresh instances per command.</summary>
    internal sealed class Actor
    {
        public Option<string> Reason { get; } = new("--reason") { Description = "Why (1..500 characters); kept in the audit trail.", Required = true };
        public Option<string?> Operator { get; } = new("--operator") { Description = "Who acts (default: $USER)." };
        public Option<string?> Key { get; } = new("--key") { Description = "Idempotency key: the same key repeats the same action's answer instead of acting twice (default: a new GUID)." };

        public void AddTo(Command command)
        {
            command.Options.Add(Reason);
            command.Options.Add(Operator);
            command.Options.Add(Key);
        }

        public string Who(ParseResult p, SessionFactory sessions) =>
            p.GetValue(Operator) is { Length: > 0 } op ? op : sessions.Env("USER") is { Length: > 0 } user ? user : Environment.UserName;

        public string KeyOf(ParseResult p) => p.GetValue(Key) is { Length: > 0 } key ? key : Guid.NewGuid().ToString("N");
    }

    public static IEnumerable<Command> Build(SessionFactory sessions)
    {
        yield return Single<string>(sessions, "resend", "message-id", "Re-send one failed outbound envelope from the outbox.",
            (ops, id, who, why, call) => ops.ResendOutboundAsync(new ResendOutboundRequest { MessageId = id, Operator = who, Reason = why }, call).ResponseAsync);
        yield return ResendFailed(sessions);
        yield return Single<long>(sessions, "reapply", "dead-letter-id", "Re-apply one dead-lettered inbound envelope through the inbox (no second effect if it took effect before).",
            (ops, id, who, why, call) => ops.ReapplyDeadLetterAsync(new ReapplyDeadLetterRequest { DeadLetterId = id, Operator = who, Reason = why }, call).ResponseAsync);
        yield return ReapplyRange(sessions);
        yield return Single<long>(sessions, "never-rerun", "dead-letter-id", "Mark a dead letter never to be re-run.",
            (ops, id, who, why, call) => ops.MarkNeverRerunAsync(new MarkNeverRerunRequest { DeadLetterId = id, Operator = who, Reason = why }, call).ResponseAsync);
        yield return Single<string>(sessions, "redeliver", "work-item-id", "Send a pending work item to the province system again.",
            (ops, id, who, why, call) => ops.RedeliverWorkItemAsync(new RedeliverWorkItemRequest { ItemId = id, Operator = who, Reason = why }, call).ResponseAsync);
        yield return Release(sessions);
        yield return Single<string>(sessions, "cancel", "transfer-id",
            "End a stuck exchange where no money can have moved, telling the counterpart (the origin returns the letter; the destination withdraws).",
            (ops, id, who, why, call) => ops.CancelExchangeAsync(new CancelExchangeRequest { TransferId = id, Operator = who, Reason = why }, call).ResponseAsync);
        yield return ResendJobCommands.Build(sessions);
    }

    private static Command Release(SessionFactory sessions)
    {
        var id = new Argument<string>("transfer-id");
        var holdCode = new Option<string>("--hold-code")
        {
            Description = "The hold being released, as the transfer shows it (AMOUNT_MISMATCH, INVALID_TABLE_AFTER_DEBIT, WORK_ITEM_ANSWER_CONFLICT).",
            Required = true,
        };
        var actor = new Actor();
        var command = new Command("release", "Release a held transfer once the province system's books are corrected (the item behind the hold is issued again).")
        {
            id, holdCode,
        };
        actor.AddTo(command);
        command.SetAction(async (p, ct) =>
        {
            using var s = sessions.Open(p);
            var request = new ReleaseHoldRequest { TransferId = p.GetValue(id)!, HoldCode = p.GetValue(holdCode)!, Operator = actor.Who(p, sessions), Reason = p.GetValue(actor.Reason)! };
            var result = await s.Ops().ReleaseHoldAsync(request, s.Call(new Metadata { { KeyHeader, actor.KeyOf(p) } }).WithCancellationToken(ct));
            return Print(s, result);
        });
        return command;
    }

    private static Command Single<TId>(SessionFactory sessions, string name, string idName, string description,
        Func<OpsService.OpsServiceClient, TId, string, string, CallOptions, Task<ActionResult>> call)
    {
        var id = new Argument<TId>(idName);
        var actor = new Actor();
        var command = new Command(name, description) { id };
        actor.AddTo(command);
        command.SetAction(async (p, ct) =>
        {
            using var s = sessions.Open(p);
            var headers = new Metadata { { KeyHeader, actor.KeyOf(p) } };
            var result = await call(s.Ops(), p.GetValue(id)!, actor.Who(p, sessions), p.GetValue(actor.Reason)!, s.Call(headers).WithCancellationToken(ct));
            return Print(s, result);
        });
        return command;
    }

    private static int Print(Session s, ActionResult result)
    {
        if (s.Json) { s.PrintJson(result); return ExitCodes.Ok; }
        var table = Session.NewTable("result", "detail", "audit id");
        Session.Row(table, result.Result, result.Detail, result.AuditId);
        s.Table(table);
        return ExitCodes.Ok;
    }

    private static Command ResendFailed(SessionFactory sessions)
    {
        var counterpart = CliOptions.Counterpart();
        var from = CliOptions.Time("--from", "Envelopes created at or after.", required: true);
        var to = CliOptions.Time("--to", "Envelopes created before.", required: true);
        var actor = new Actor();
        var command = new Command("resend-failed", "Re-send every failed outbound envelope created in a range (optionally for one counterpart), 1,000 a call until none are left.")
        {
            counterpart, from, to,
        };
        actor.AddTo(command);
        command.SetAction(async (p, ct) =>
        {
            using var s = sessions.Open(p);
            var ops = s.Ops();
            var request = new ResendFailedRequest
            {
                CounterpartProvince = p.GetValue(counterpart) ?? "", Created = CliOptions.Range(p.GetValue(from), p.GetValue(to)),
                Operator = actor.Who(p, sessions), Reason = p.GetValue(actor.Reason)!,
            };
            // Re-queued envelopes leave the failed state, so the same request reaches the next ones.
            return await Bulk.RunAsync(s, "resend-failed", actor.KeyOf(p), advances: false,
                (key, _) => ops.ResendFailedAsync(request, s.Call(key).WithCancellationToken(ct)).ResponseAsync, ct);
        });
        return command;
    }

    private static Command ReapplyRange(SessionFactory sessions)
    {
        var from = CliOptions.Time("--from", "Dead letters first seen at or after.", required: true);
        var to = CliOptions.Time("--to", "Dead letters first seen before.", required: true);
        var reasonPrefix = new Option<string?>("--reason-prefix") { Description = "Only dead letters whose reason starts with this." };
        var messageType = new Option<string?>("--message-type") { Description = "Only this envelope type." };
        var actor = new Actor();
        var command = new Command("reapply-range", "Re-apply every dead letter first seen in a range, 1,000 a call until none are left.")
        {
            from, to, reasonPrefix, messageType,
        };
        actor.AddTo(command);
        command.SetAction(async (p, ct) =>
        {
            using var s = sessions.Open(p);
            var ops = s.Ops();
            var request = new ReapplyDeadLettersRequest
            {
                FirstSeen = CliOptions.Range(p.GetValue(from), p.GetValue(to)),
                ReasonPrefix = p.GetValue(reasonPrefix) ?? "", MessageType = p.GetValue(messageType) ?? "",
                Operator = actor.Who(p, sessions), Reason = p.GetValue(actor.Reason)!,
            };
            return await Bulk.RunAsync(s, "reapply-range", actor.KeyOf(p), advances: true, async (key, previous) =>
            {
                // Go on after the dead letters the previous call reached: they stay listed once re-applied.
                if (previous?.More == true)
                {
                    if (previous.NextPageToken.Length == 0) return null;
                    request.PageToken = previous.NextPageToken;
                }
                return await ops.ReapplyDeadLettersAsync(request, s.Call(key).WithCancellationToken(ct)).ResponseAsync;
            }, ct);
        });
        return command;
    }

}

/// <summary>Loops a bulk action while the node says there is more, with a progress bar and a summary.</summary>
internal static class Bulk
{
    /// <summary>How many items the node acts on per bulk call.</summary>
    public const int PerCall = 1000;

    /// <param name="call">Makes one call with its headers and the previous call's result; null: nothing left to call.</param>
    /// <param name="advances">The call moves past what it matched (a cursor); otherwise a call that moved nothing stops the loop.</param>
    public static async Task<int> RunAsync(Session s, string what, string key, bool advances, Func<Metadata, BulkActionResult?, Task<BulkActionResult?>> call, CancellationToken ct)
    {
        var total = new BulkActionResult();
        var calls = 0;
        var stalled = false;
        async Task LoopAsync(Action<BulkActionResult> progress)
        {
            BulkActionResult? previous = null;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                // One key per call: the node replays a repeated key's answer, and a re-run with the same --key resumes.
                var headers = new Metadata { { ActionCommands.KeyHeader, $"{key}:{calls + 1}" } };
                var result = await call(headers, previous);
                if (result is null) break;
                calls++;
                total.Matched += result.Matched;
                total.Succeeded += result.Succeeded;
                total.AlreadyDone += result.AlreadyDone;
                total.Failed += result.Failed;
                total.AuditId = result.AuditId;
                total.More = result.More;
                progress(total);
                if (!result.More) break;
                // Nothing moved: another call would match the same items again.
                if (!advances && result.Succeeded == 0 && result.AlreadyDone == 0) { stalled = true; break; }
                previous = result;
            }
        }

        if (s.Json)
        {
            await LoopAsync(_ => { });
            s.PrintJson(total);
        }
        else
        {
            await s.Console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(what, maxValue: PerCall);
                    await LoopAsync(t =>
                    {
                        task.MaxValue = t.Matched + (t.More ? PerCall : 0);
                        task.Value = t.Matched;
                        task.Description = $"{what}: {t.Matched} matched, {t.Succeeded} ok, {t.AlreadyDone} already done, {t.Failed} failed";
                    });
                    task.MaxValue = Math.Max(1, total.Matched);
                    task.Value = task.MaxValue;
                });
            var table = Session.NewTable("calls", "matched", "succeeded", "already done", "failed", "last audit id");
            Session.Row(table, calls, total.Matched, total.Succeeded, total.AlreadyDone, total.Failed, total.AuditId);
            s.Table(table);
            s.Console.WriteLine($"{what}: {total.Succeeded} succeeded, {total.AlreadyDone} already done, {total.Failed} failed of {total.Matched} matched in {calls} calls.");
        }
        if (stalled) await s.Error.WriteLineAsync($"{what}: stopped; the last call moved nothing and the node still reports more (the same items would be matched again).");
        return ExitCodes.Ok;
    }
}
