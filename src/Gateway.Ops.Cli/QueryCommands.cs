using System.CommandLine;
using Gateway.Contracts.Ops.V1;
using Spectre.Console;

namespace Gateway.Ops.Cli;

/// <summary>The read-only commands: list, counts, dead-letters, story, audit. Each maps options to one request and prints the response.</summary>
internal static class QueryCommands
{
    public static IEnumerable<Command> Build(SessionFactory sessions)
    {
        yield return List(sessions);
        yield return Counts(sessions);
        yield return DeadLetters(sessions);
        yield return Story(sessions);
        yield return Audit(sessions);
    }

    private static Command List(SessionFactory sessions)
    {
        var condition = new Argument<string>("condition") { Description = "overdue | waiting-on-system | waiting-on-counterpart | held | returned | failed" };
        condition.AcceptOnlyFromAmong([.. CliOptions.Conditions.Keys]);
        var counterpart = CliOptions.Counterpart();
        var step = new Option<string?>("--step") { Description = "overdue only: LETTER, INFO_TABLE, BALANCE, COMPLETION or OVERALL." };
        var from = CliOptions.Time("--from", "Created at or after.");
        var to = CliOptions.Time("--to", "Created before.");
        var waiting = new Option<int>("--waiting-seconds") { Description = "waiting-on-system: unanswered for longer than this (0: the node's default, 3600)." };
        var pageSize = CliOptions.PageSize();
        var pageToken = CliOptions.PageToken();
        var command = new Command("list", "List the exchanges in one condition, oldest first, a page at a time.")
        {
            condition, counterpart, step, from, to, waiting, pageSize, pageToken,
        };
        command.SetAction(async (p, ct) =>
        {
            using var s = sessions.Open(p);
            var response = await s.Ops().ListExchangesAsync(new ListExchangesRequest
            {
                Condition = CliOptions.Conditions[p.GetValue(condition)!],
                CounterpartProvince = p.GetValue(counterpart) ?? "",
                Step = p.GetValue(step) ?? "",
                Created = CliOptions.Range(p.GetValue(from), p.GetValue(to)),
                WaitingSeconds = p.GetValue(waiting),
                PageSize = p.GetValue(pageSize),
                PageToken = p.GetValue(pageToken) ?? "",
            }, s.Call().WithCancellationToken(ct));
            if (s.Json) { s.PrintJson(response); return ExitCodes.Ok; }
            var table = Session.NewTable("transfer", "counterpart", "state", "created", "detail");
            foreach (var e in response.Entries) Session.Row(table, e.TransferId, e.CounterpartProvince, e.TransferState, Session.Time(e.CreatedAt), Detail(e));
            s.Table(table);
            s.Console.WriteLine($"{response.Entries.Count} entries");
            s.NextPage(response.NextPageToken);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>What makes the entry stuck, per condition.</summary>
    private static string Detail(ExchangeEntry e) => e.Condition switch
    {
        Condition.Overdue => string.Join("; ", e.Overdue.Select(o => $"{o.Step} due {o.DueOn} ({o.GoverningProvince}, {o.WorkingDays} working days, {o.Calendar})")),
        Condition.WaitingOnProvinceSystem => $"work item {e.WorkItemId} {e.WorkItemKind}, delivered {e.DeliveryCount}x",
        Condition.WaitingOnCounterpart or Condition.Failed =>
            $"{e.MessageType} {e.MessageId}, {e.Attempts} attempts" + (e.LastError.Length > 0 ? $": {e.LastError}" : ""),
        _ => e.Reason,
    };

    private static Command Counts(SessionFactory sessions)
    {
        var command = new Command("counts", "Counts per condition and counterpart province, and the dead letters.");
        command.SetAction(async (p, ct) =>
        {
            using var s = sessions.Open(p);
            var response = await s.Ops().CountConditionsAsync(new CountConditionsRequest(), s.Call().WithCancellationToken(ct));
            if (s.Json) { s.PrintJson(response); return ExitCodes.Ok; }
            var table = Session.NewTable("condition", "count", "by counterpart");
            foreach (var c in response.Counts)
                Session.Row(table, c.Condition.ToString(), c.Capped ? $"{c.Count}+" : c.Count.ToString(),
                    string.Join(" ", c.ByCounterpart.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => $"{b.Key}:{b.Value}")));
            Session.Row(table, "DEAD_LETTERED", response.DeadLetters.ToString(), $"{response.DeadLettersRerunnable} may be re-run");
            s.Table(table);
            if (response.Counts.Any(c => c.Capped)) s.Console.WriteLine("+: counted over the first open transfers only (the node's bound).");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command DeadLetters(SessionFactory sessions)
    {
        var from = CliOptions.Time("--from", "First seen at or after.");
        var to = CliOptions.Time("--to", "First seen before.");
        var reasonPrefix = new Option<string?>("--reason-prefix") { Description = "Only dead letters whose reason starts with this." };
        var messageType = new Option<string?>("--message-type") { Description = "Only this envelope type (e.g. TransferCompleted)." };
        var pageSize = CliOptions.PageSize();
        var pageToken = CliOptions.PageToken();
        var command = new Command("dead-letters", "List the inbound envelopes this node dead-lettered, with their reason.")
        {
            from, to, reasonPrefix, messageType, pageSize, pageToken,
        };
        command.SetAction(async (p, ct) =>
        {
            using var s = sessions.Open(p);
            var response = await s.Ops().ListDeadLettersAsync(new ListDeadLettersRequest
            {
                FirstSeen = CliOptions.Range(p.GetValue(from), p.GetValue(to)),
                ReasonPrefix = p.GetValue(reasonPrefix) ?? "",
                MessageType = p.GetValue(messageType) ?? "",
                PageSize = p.GetValue(pageSize),
                PageToken = p.GetValue(pageToken) ?? "",
            }, s.Call().WithCancellationToken(ct));
            if (s.Json) { s.PrintJson(response); return ExitCodes.Ok; }
            var table = Session.NewTable("id", "type", "from", "transfer", "first seen", "re-runs", "reason");
            foreach (var d in response.DeadLetters)
                Session.Row(table, d.Id, d.MessageType, d.SenderProvince, d.TransferId, Session.Time(d.FirstSeenAt),
                    d.NeverRerun ? $"{d.RerunCount} (never)" : d.RerunCount.ToString(), d.Reason);
            s.Table(table);
            s.Console.WriteLine($"{response.DeadLetters.Count} dead letters");
            s.NextPage(response.NextPageToken);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Story(SessionFactory sessions)
    {
        var transfer = new Argument<string>("transfer-id") { Description = "The transfer's id." };
        var command = new Command("story", "One exchange's whole story in time order: documents, envelopes, deadlines, work items, operator actions.") { transfer };
        command.SetAction(async (p, ct) =>
        {
            using var s = sessions.Open(p);
            var story = await s.Ops().GetExchangeStoryAsync(new GetExchangeStoryRequest { TransferId = p.GetValue(transfer)! }, s.Call().WithCancellationToken(ct));
            if (s.Json) { s.PrintJson(story); return ExitCodes.Ok; }
            s.Console.WriteLine($"transfer {story.TransferId}: {story.Role}, {story.State}, counterpart {story.CounterpartProvince}");
            var events = Session.NewTable("at", "kind", "what", "detail");
            foreach (var e in story.Events) Session.Row(events, Session.Time(e.At), e.Kind, e.What, e.Detail);
            s.Table(events);
            var envelopes = Session.NewTable("message", "type", "direction", "status", "attempts", "receipt", "last error");
            foreach (var e in story.Envelopes)
                Session.Row(envelopes, e.MessageId, e.MessageType, e.Direction, e.Status.ToString(), e.Attempts.Count, Session.Time(e.ReceiptAt), e.LastError);
            s.Table(envelopes);
            var deadlines = Session.NewTable("step", "due on", "governing", "met", "overdue", "calendar");
            foreach (var d in story.Deadlines) Session.Row(deadlines, d.Step, d.DueOn, d.GoverningProvince, d.Met ? "yes" : "no", d.Overdue ? "yes" : "no", d.Calendar);
            s.Table(deadlines);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Audit(SessionFactory sessions)
    {
        var pageSize = CliOptions.PageSize();
        var pageToken = CliOptions.PageToken();
        var command = new Command("audit", "The append-only audit trail of operator actions, newest first.") { pageSize, pageToken };
        command.SetAction(async (p, ct) =>
        {
            using var s = sessions.Open(p);
            var response = await s.Ops().ListAuditTrailAsync(new ListAuditTrailRequest { PageSize = p.GetValue(pageSize), PageToken = p.GetValue(pageToken) ?? "" },
                s.Call().WithCancellationToken(ct));
            if (s.Json) { s.PrintJson(response); return ExitCodes.Ok; }
            var table = Session.NewTable("id", "at", "operator", "action", "subject", "result", "reason");
            foreach (var e in response.Entries) Session.Row(table, e.Id, Session.Time(e.At), e.Operator, e.Action, e.Subject, e.Result, e.Reason);
            s.Table(table);
            s.NextPage(response.NextPageToken);
            return ExitCodes.Ok;
        });
        return command;
    }
}
