using System.Globalization;
using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Ops.V1;
using Gateway.Node.Application;
using Gateway.Node.Infrastructure;
using Gateway.Node.Transfers;
using Gateway.Storage;
using Google.Protobuf;
using AuditEntry = Gateway.Contracts.Ops.V1.AuditEntry;

namespace Gateway.Node.Ops;

/// <summary>Dead-lettered inbound envelopes, oldest first by first-seen time.</summary>
public sealed class ListDeadLettersHandler(NodeDatabase db)
{
    private const string Tag = "dead_letters";

    public Task<ListDeadLettersResponse> HandleAsync(ListDeadLettersRequest request, CancellationToken ct)
    {
        var v = new List<(string, string)>();
        var size = OpsInput.PageSize(request.PageSize, v);
        var (from, to) = OpsInput.Range(request.FirstSeen, "first_seen", false, v);
        var after = OpsInput.Cursor(request.PageToken, Tag, v, numericKey: true);
        OpsInput.ThrowIfAny(v);
        return db.WithConnectionAsync(async (conn, token) =>
        {
            var response = new ListDeadLettersResponse();
            // The message type lives in the stored envelope: filtered here, bounded by the pages read.
            for (var pages = 0; pages < 10 && response.DeadLetters.Count < size; pages++)
            {
                var rows = await OpsQueries.DeadLettersAsync(conn, null, from, to, request.ReasonPrefix.Length == 0 ? null : request.ReasonPrefix, after, size, token);
                foreach (var row in rows)
                {
                    after = new OpsCursor(row.FirstSeenAt, row.Id.ToString(CultureInfo.InvariantCulture));
                    var entry = Entry(row);
                    if (request.MessageType.Length > 0 && entry.MessageType != request.MessageType) continue;
                    response.DeadLetters.Add(entry);
                    if (response.DeadLetters.Count == size) break;
                }
                if (rows.Count < size) { after = null; break; }
            }
            response.NextPageToken = OpsInput.Token(Tag, after);
            return response;
        }, ct);
    }

    public static DeadLetterEntry Entry(DeadLetterRow row)
    {
        Envelope? envelope = null;
        try { if (row.Payload is { Length: > 0 } p) envelope = Envelope.Parser.ParseFrom(p); }
        catch (InvalidProtocolBufferException) { }
        return new DeadLetterEntry
        {
            Id = row.Id, MessageId = row.MessageId ?? "", MessageType = envelope?.MessageType ?? "", SenderProvince = envelope?.SenderProvince ?? "",
            TransferId = envelope?.CorrelationId ?? "", Reason = row.Reason, FirstSeenAt = OpsInput.Time(row.FirstSeenAt), LastSeenAt = OpsInput.Time(row.LastSeenAt),
            RerunCount = row.RerunCount, NeverRerun = row.NeverRerun, Topic = row.Topic, Partition = row.Partition, Offset = row.Offset,
        };
    }
}

/// <summary>Counts per condition and counterpart: stored conditions from their partial indexes, OVERDUE over the open transfers (bounded).</summary>
public sealed class CountConditionsHandler(NodeDatabase db, TransferViews views, BusinessClock clock)
{
    public const int MaxOverdueChecked = 10_000;

    public Task<CountConditionsResponse> HandleAsync(CancellationToken ct) => db.WithConnectionAsync(async (conn, token) =>
    {
        var counts = new Dictionary<Condition, ConditionCount>();
        ConditionCount For(Condition c) => counts.TryGetValue(c, out var x) ? x : counts[c] = new ConditionCount { Condition = c };
        foreach (var c in new[] { Condition.Overdue, Condition.WaitingOnProvinceSystem, Condition.WaitingOnCounterpart, Condition.Held, Condition.Returned, Condition.Failed })
            For(c);
        foreach (var (what, counterpart, n) in await OpsQueries.CountAsync(conn, clock.UtcNow - TimeSpan.FromHours(1), token))
        {
            var c = what switch
            {
                "failed" => Condition.Failed, "awaiting_receipt" => Condition.WaitingOnCounterpart, "held" => Condition.Held,
                "returned" => Condition.Returned, _ => Condition.WaitingOnProvinceSystem,
            };
            var entry = For(c);
            entry.Count += n;
            if (counterpart.Length > 0) entry.ByCounterpart[counterpart] = entry.ByCounterpart.GetValueOrDefault(counterpart) + n;
        }
        var overdue = For(Condition.Overdue);
        OpsCursor? after = null;
        var checkedRows = 0;
        while (checkedRows < MaxOverdueChecked)
        {
            var page = await OpsQueries.TransfersAsync(conn, OpsQueries.TransferCondition.Open, null, null, null, after, 500, token);
            foreach (var row in page)
            {
                checkedRows++;
                after = new OpsCursor(row.CreatedAt, row.Record.TransferId);
                if (!views.View(row.Record).Overdue) continue;
                overdue.Count++;
                var cp = row.Record.CounterpartProvince;
                overdue.ByCounterpart[cp] = overdue.ByCounterpart.GetValueOrDefault(cp) + 1;
            }
            if (page.Count < 500) break;
        }
        overdue.Capped = checkedRows >= MaxOverdueChecked;
        var (all, rerunnable) = await OpsQueries.CountDeadLettersAsync(conn, token);
        var response = new CountConditionsResponse { DeadLetters = all, DeadLettersRerunnable = rerunnable };
        response.Counts.AddRange(counts.Values.OrderBy(c => (int)c.Condition));
        return response;
    }, ct);
}

/// <summary>Newest first, paged by id.</summary>
public sealed class ListAuditTrailHandler(NodeDatabase db)
{
    private const string Tag = "audit";

    public Task<ListAuditTrailResponse> HandleAsync(ListAuditTrailRequest request, CancellationToken ct)
    {
        var v = new List<(string, string)>();
        var size = OpsInput.PageSize(request.PageSize, v);
        var after = OpsInput.Cursor(request.PageToken, Tag, v);
        long? before = null;
        if (after is not null)
        {
            if (long.TryParse(after.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var id)) before = id;
            else v.Add(("page_token", "Not a token this list returned."));
        }
        OpsInput.ThrowIfAny(v);
        return db.WithConnectionAsync(async (conn, token) =>
        {
            var rows = await OpsQueries.AuditTrailAsync(conn, before, size + 1, token);
            var response = new ListAuditTrailResponse();
            response.Entries.AddRange(rows.Take(size).Select(Entry));
            if (rows.Count > size) response.NextPageToken = OpsInput.Token(Tag, new OpsCursor(rows[size - 1].At, rows[size - 1].Id.ToString(CultureInfo.InvariantCulture)));
            return response;
        }, ct);
    }

    public static AuditEntry Entry(OpsAuditRow r) => new()
    {
        Id = r.Id, At = OpsInput.Time(r.At), Operator = r.Operator, Action = r.Action, Subject = r.Subject ?? "", Reason = r.Reason ?? "",
        Result = r.Result ?? "", TransferId = r.TransferId ?? "", Detail = r.DetailJson ?? "",
    };
}

/// <summary>One exchange's story at this node: documents, envelopes both ways with attempts and receipts, deadlines, work items, operator actions.</summary>
public sealed class GetExchangeStoryHandler(NodeDatabase db, TransferViews views)
{
    public Task<ExchangeStory> HandleAsync(GetExchangeStoryRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.TransferId)) throw InvalidRequestException.Single("transfer_id", "Name the transfer.");
        return db.WithConnectionAsync(async (conn, token) =>
        {
            var record = await TransferStore.FindAsync(conn, null, request.TransferId, forUpdate: false, token)
                         ?? throw new NotFoundException("No such transfer at this node.");
            var view = await views.ViewAsync(conn, null, record, token);
            var story = new ExchangeStory
            {
                TransferId = record.TransferId, Role = record.Snapshot.Role.ToString(), State = record.Snapshot.State.ToString(),
                CounterpartProvince = record.CounterpartProvince,
            };
            var events = new List<StoryEvent>();
            foreach (var t in view.Timeline.Where(t => t.At is not null))
                events.Add(new StoryEvent { At = t.At, Kind = "document", What = t.Event, Detail = t.Detail });
            foreach (var d in view.Deadlines)
                story.Deadlines.Add(new DeadlineStory { Step = d.Step, DueOn = d.DueOn, GoverningProvince = d.GoverningProvince, Met = d.Met, Overdue = d.Overdue, Calendar = d.Calendar, DoneOn = d.DoneOn });

            foreach (var row in await OpsQueries.SentRowsForTransferAsync(conn, record.TransferId, token))
            {
                if (!row.NeedsReceipt) continue; // receipts themselves
                var attempts = await OutboxStore.HistoryAsync(conn, null, row.MessageId, token);
                var env = new EnvelopeStory
                {
                    MessageId = row.MessageId, MessageType = row.MessageType, Direction = "sent", Status = SentStatus(row, attempts),
                    At = OpsInput.Time(row.CreatedAt), LastError = row.LastError ?? "",
                };
                if (row.ReceiptAt is { } receipt) env.ReceiptAt = OpsInput.Time(receipt);
                env.Attempts.AddRange(attempts.Select(a => new Attempt { Number = a.Attempt, At = OpsInput.Time(a.At), Outcome = a.Outcome, Error = a.Error ?? "" }));
                story.Envelopes.Add(env);
                events.Add(new StoryEvent { At = env.At, Kind = "envelope", What = $"sent {row.MessageType}", Detail = row.MessageId });
                events.AddRange(attempts.Select(a => new StoryEvent { At = OpsInput.Time(a.At), Kind = a.Outcome == "receipt" ? "receipt" : "attempt", What = $"{row.MessageType} {a.Outcome}", Detail = a.Error ?? "" }));
            }
            foreach (var row in await OpsQueries.ReceivedForTransferAsync(conn, record.TransferId, token))
            {
                story.Envelopes.Add(new EnvelopeStory { MessageId = row.MessageId, MessageType = row.MessageType, Direction = "received", Status = MessageStatus.Received, At = OpsInput.Time(row.ReceivedAt) });
                events.Add(new StoryEvent { At = OpsInput.Time(row.ReceivedAt), Kind = "envelope", What = $"received {row.MessageType}", Detail = row.MessageId });
            }
            foreach (var dead in await OpsQueries.DeadLettersForTransferAsync(conn, record.TransferId, token))
            {
                var entry = ListDeadLettersHandler.Entry(dead);
                story.Envelopes.Add(new EnvelopeStory { MessageId = entry.MessageId, MessageType = entry.MessageType, Direction = "received", Status = MessageStatus.DeadLettered, At = entry.FirstSeenAt, LastError = dead.Reason, DeadLetterId = dead.Id });
                events.Add(new StoryEvent { At = entry.FirstSeenAt, Kind = "envelope", What = $"dead-lettered {entry.MessageType}", Detail = dead.Reason });
            }
            foreach (var w in await OpsQueries.WorkItemsForTransferAsync(conn, record.TransferId, token))
            {
                var item = new WorkItemStory { ItemId = w.ItemId, Kind = w.Kind, Status = w.Status, CreatedAt = OpsInput.Time(w.CreatedAt), DeliveryCount = w.DeliveryCount,
                    Answer = w.Answer is null ? ByteString.Empty : ByteString.CopyFrom(w.Answer) };
                if (w.AnsweredAt is { } answered) item.AnsweredAt = OpsInput.Time(answered);
                story.WorkItems.Add(item);
                events.Add(new StoryEvent { At = item.CreatedAt, Kind = "work_item", What = w.Kind, Detail = w.ItemId });
                if (w.AnsweredAt is not null) events.Add(new StoryEvent { At = item.AnsweredAt, Kind = "answer", What = w.Kind, Detail = w.Status });
            }
            foreach (var a in await OpsQueries.AuditForTransferAsync(conn, record.TransferId, token))
            {
                var entry = ListAuditTrailHandler.Entry(a);
                story.OperatorActions.Add(entry);
                events.Add(new StoryEvent { At = entry.At, Kind = "operator", What = a.Action, Detail = $"{a.Operator}: {a.Result} ({a.Reason})" });
            }
            story.Events.AddRange(events.OrderBy(e => e.At.ToDateTimeOffset()).ThenBy(e => e.Kind, StringComparer.Ordinal));
            return story;
        }, ct);
    }

    /// <summary>§6.2's statuses from the outbox row and its last attempt.</summary>
    private static MessageStatus SentStatus(OutboxRow row, IReadOnlyList<OutboxAttempt> attempts) => row.Status switch
    {
        OutboxStatus.Delivered => MessageStatus.Acknowledged,
        OutboxStatus.Published => MessageStatus.Sent,
        OutboxStatus.Failed => MessageStatus.FailedStatus,
        OutboxStatus.Pending when row.Attempts == 0 => MessageStatus.Ready,
        _ when attempts.Count > 0 && attempts[^1].Outcome == "publish_failed" => MessageStatus.WaitingForRetry,
        OutboxStatus.AwaitingReceipt => MessageStatus.WaitingForReceipt,
        _ => MessageStatus.AttemptFailed,
    };
}
