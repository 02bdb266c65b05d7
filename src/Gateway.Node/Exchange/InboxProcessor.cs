using Confluent.Kafka;
using Gateway.Contracts.Exchange.V1;
using Gateway.Messaging;
using Gateway.Node.Application;
using Gateway.Node.Infrastructure;
using Gateway.Node.Telemetry;
using System.Diagnostics;
using Gateway.Storage;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gateway.Node.Exchange;

/// <summary>
/// Consumes this province's inbox topic: consume a batch → apply each partition's envelopes in ONE database transaction
/// per partition, partitions side by side (dedupe by message id, state change, outbound envelopes and receipts to the
/// outbox, bad envelopes to the dead-letter table) → commit → hand the committed envelopes to the producer and wake
/// the work-item streams → store the Kafka offsets for the consumer's background commit. A crash anywhere leaves at
/// worst a redelivery, which the inbox table absorbs.
/// </summary>
/// <remarks>
/// Whose fault a failure is decides what happens. An envelope that is itself bad (unreadable, misrouted, refused by the
/// protocol, acting outside its exchange) is dead-lettered and the partition moves on. Anything else is the node's own
/// fault (database, configuration, a bug): nothing is dead-lettered, the batch is read again with backoff from the same
/// offsets, and health reports the inbox as not serving until it makes progress again.
/// </remarks>
public sealed class InboxProcessor(
    NodeDatabase db,
    InboxConsumer consumer,
    EnvelopeProducer producer,
    InboundApply apply,
    EnvelopeFactory envelopes,
    NodeIdentity node,
    OutboxHandOff handOff,
    WorkItemSignal workItemSignal,
    Sync.RecordChangeSignal recordChanges,
    InboxHealth health,
    BusinessClock clock,
    IOptions<NodeOptions> options,
    ILogger<InboxProcessor> logger) : BackgroundService
{
    /// <summary>Largest record read as an envelope; anything bigger cannot have come from a node (see <see cref="Outbound.MaxEnvelopeBytes"/>).</summary>
    public const int MaxRecordBytes = Outbound.MaxEnvelopeBytes + 4096;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // The Kafka client blocks; keep it off the thread pool's request threads.
        Task.Factory.StartNew(() => RunAsync(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        consumer.Subscribe(TopicNames.Inbox(node.Province));
        logger.LogInformation("Consuming {Topic} as group {Group}", TopicNames.Inbox(node.Province), consumer.GroupId);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RoundAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The consumer itself failed (not an envelope, not a batch): report, pause, go on.
                health.Failed(ex, clock.UtcNow);
                logger.LogError(ex, "Inbox round failed outside any batch (attempt {Attempt})", health.ConsecutiveFailures);
                await Task.Delay(Backoff(health.ConsecutiveFailures), stoppingToken).ContinueWith(_ => { });
            }
        }
    }

    /// <summary>Consume one batch, apply it partition by partition, then store offsets, or rewind what failed.</summary>
    private async Task RoundAsync(CancellationToken stoppingToken)
    {
        var batch = consumer.ConsumeBatch(options.Value.InboxBatchSize, TimeSpan.FromMilliseconds(200), stoppingToken);
        if (batch.Count == 0) return;

        // Partitions are independent (a transfer's envelopes share one): each applies in order, in its own
        // transaction, alongside the others.
        var partitions = batch.GroupBy(r => r.TopicPartition).Select(g => g.ToList()).ToList();
        var results = partitions.Count == 1
            ? [await ApplyPartitionAsync(partitions[0], stoppingToken)]
            : await Task.WhenAll(partitions.Select(p => Task.Run(() => ApplyPartitionAsync(p, stoppingToken), stoppingToken)));
        stoppingToken.ThrowIfCancellationRequested();

        // Seek back first what must be read again, so nothing after this line can make the consumer skip it.
        var failed = results.Where(r => r.Failure is not null).ToList();
        if (failed.Count > 0) consumer.Rewind(failed.SelectMany(f => f.Records));

        var applied = results.Where(r => r.Outcome is not null).ToList();
        foreach (var r in applied) Count(r.Outcome!);
        if (applied.Any(r => r.Outcome!.WorkItems))
        {
            workItemSignal.Notify();
            recordChanges.Notify(); // after commit: record watchers read what this batch applied
        }
        // Durable in PostgreSQL already: the offsets are stored for the consumer's background commit, which may lag or
        // be lost in a crash — a redelivery the inbox table absorbs.
        consumer.StoreOffsets(applied.SelectMany(r => r.Records));
        foreach (var r in applied) await PublishDeadLettersAsync(r.Outcome!.DeadLetters, stoppingToken);

        if (failed.Count == 0)
        {
            health.Progressed();
            return;
        }
        // The node's own fault: not committed, nothing dead-lettered. Read the same records again after a pause.
        health.Failed(failed[0].Failure!, clock.UtcNow);
        var delay = Backoff(health.ConsecutiveFailures);
        foreach (var f in failed)
            logger.LogError(f.Failure, "Inbox batch of {Count} from {Partition} could not be applied (attempt {Attempt}); it is read again in {Delay} s",
                f.Records.Count, f.Records[0].TopicPartition, health.ConsecutiveFailures, delay.TotalSeconds);
        await Task.Delay(delay, stoppingToken).ContinueWith(_ => { });
    }

    /// <summary>1, 2, 4 … seconds, at most 30: quick after a blip, gentle on a database that is down.</summary>
    private static TimeSpan Backoff(int failures) => TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, Math.Clamp(failures - 1, 0, 5))));

    private sealed record BatchOutcome(List<(ConsumeResult<string, byte[]> Record, string Reason)> DeadLetters, bool WorkItems,
        List<Counted>? Counted);

    /// <summary>What one committed envelope did, for the metrics (kept only while a meter listener wants them).</summary>
    private readonly record struct Counted(string MessageType, string Outcome, string? DeadLetterCode, double? DelaySeconds);

    private void Count(BatchOutcome outcome)
    {
        if (outcome.Counted is null) return;
        var province = new KeyValuePair<string, object?>(GatewayTelemetry.ProvinceTag, node.Province);
        foreach (var c in outcome.Counted)
        {
            var type = new KeyValuePair<string, object?>("gateway.message_type", c.MessageType);
            GatewayTelemetry.EnvelopesReceived.Add(1, type, new("gateway.outcome", c.Outcome), province);
            if (c.DeadLetterCode is { } code) GatewayTelemetry.DeadLetters.Add(1, new("gateway.reason", code), province);
            if (c.DelaySeconds is { } delay) GatewayTelemetry.InboxDelay.Record(delay, type, province);
        }
    }

    /// <summary>A bounded reason code for the dead-letter metric (the stored reason is free text).</summary>
    private static string DeadLetterCode(Exception ex) => ex switch
    {
        UntrustedEnvelopeException u => u.Code,
        EnvelopeTooLargeException => "TOO_LARGE",
        PostgresException => "DATA_REFUSED",
        _ => "POISON",
    };

    private static bool Counting => GatewayTelemetry.EnvelopesReceived.Enabled || GatewayTelemetry.DeadLetters.Enabled || GatewayTelemetry.InboxDelay.Enabled;

    private sealed record PartitionResult(List<ConsumeResult<string, byte[]>> Records, BatchOutcome? Outcome, Exception? Failure);

    /// <summary>
    /// One partition's records in one transaction. The first pass runs without savepoints; only when an envelope turns
    /// out to be bad is the batch rolled back and applied again with a savepoint per envelope, so a healthy batch pays
    /// no savepoint round trips. The envelopes the batch committed are handed straight to the producer.
    /// </summary>
    private async Task<PartitionResult> ApplyPartitionAsync(List<ConsumeResult<string, byte[]>> records, CancellationToken ct)
    {
        using var scope = OutboxCapture.Begin();
        try
        {
            BatchOutcome outcome;
            try
            {
                outcome = await ApplyBatchAsync(records, isolate: false, ct);
            }
            catch (Exception ex) when (IsEnvelopesFault(ex))
            {
                outcome = await ApplyBatchAsync(records, isolate: true, ct);
            }
            return new PartitionResult(records, outcome, null);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            return new PartitionResult(records, null, ex);
        }
        finally
        {
            if (scope.Capture.Committed.Count > 0) handOff.Offer(scope.Capture.Committed);
        }
    }

    private async Task<BatchOutcome> ApplyBatchAsync(IReadOnlyList<ConsumeResult<string, byte[]>> batch, bool isolate, CancellationToken ct) =>
        await db.InTransactionAsync(async (conn, tx, token) =>
        {
            var dead = new List<(ConsumeResult<string, byte[]>, string)>();
            var answers = new Dictionary<string, Receipt>();
            var counted = Counting ? new List<Counted>(batch.Count) : null;
            // Each receipt continues the trace of the first envelope it acknowledges.
            Dictionary<string, ActivityContext>? receiptParents = GatewayTelemetry.Source.HasListeners() ? new() : null;
            var workItems = false;
            var read = batch.Select(r => (Record: r, Envelope: Read(r))).ToList();
            // A healthy batch records its message ids in one statement; the isolated pass does it envelope by envelope.
            var fresh = isolate ? null : await InboxStore.TryRecordManyAsync(conn, tx,
                read.Where(r => r.Envelope is { } e && e.MessageType != Receipt.Descriptor.Name)
                    .Select(r => (r.Envelope!.MessageId, r.Envelope.MessageType, r.Envelope.SenderProvince,
                        (MessageLogEntry?)MessageLogEntries.Received(r.Envelope, r.Record.Message?.Value))).ToList(), token);

            foreach (var (record, readEnvelope) in read)
            {
                if (readEnvelope is not { } envelope)
                {
                    var reason = Unreadable(record);
                    await DeadLetterAsync(conn, tx, record, null, reason, token);
                    dead.Add((record, reason));
                    counted?.Add(new Counted("unreadable", "dead_lettered", "UNREADABLE", null));
                    continue;
                }

                var isReceipt = envelope.MessageType == Receipt.Descriptor.Name;
                using var span = GatewayTelemetry.StartApply(node.Province, envelope);
                if (isolate) await tx.SaveAsync("envelope", token);
                try
                {
                    var outcome = await apply.ApplyAsync(conn, tx, envelope, isReceipt || fresh is null ? null : fresh.Remove(envelope.MessageId), token);
                    if (outcome == InboundOutcome.Applied) workItems = true;
                    if (isolate) await tx.ReleaseAsync("envelope", token);
                    // A duplicate is acknowledged again: its first receipt may be lost.
                    if (!isReceipt) AnswerFor(answers, envelope.SenderProvince).MessageIds.Add(envelope.MessageId);
                    if (span is not null && !isReceipt) receiptParents!.TryAdd(envelope.SenderProvince, span.Context);
                    var name = Outcome(outcome);
                    span?.SetTag("gateway.outcome", name);
                    counted?.Add(new Counted(envelope.MessageType, name, null,
                        outcome == InboundOutcome.Applied && envelope.SentAt is { } sent ? Math.Max(0, (clock.UtcNow - sent.ToDateTimeOffset()).TotalSeconds) : null));
                }
                catch (Exception ex) when (isolate && IsEnvelopesFault(ex))
                {
                    var reason = WireText.Clean(ex is PoisonMessageException ? ex.Message : $"refused by PostgreSQL: {ex.Message}", 1_000);
                    var code = DeadLetterCode(ex);
                    span?.SetTag("gateway.outcome", "dead_lettered");
                    span?.SetStatus(ActivityStatusCode.Error, code);
                    counted?.Add(new Counted(envelope.MessageType, "dead_lettered", code, null));
                    await tx.RollbackAsync("envelope", token);
                    await DeadLetterAsync(conn, tx, record, envelope, reason, token);
                    dead.Add((record, reason));
                    // A rejection stops the real counterpart re-sending; an untrusted envelope's named sender may not have sent it.
                    if (!isReceipt && ex is not UntrustedEnvelopeException)
                        AnswerFor(answers, envelope.SenderProvince).Rejections.Add(new Rejection { MessageId = envelope.MessageId, Reason = reason });
                }
                catch (Exception ex) when (GatewayTelemetry.FailedFilter(span, ex))
                {
                    throw; // never reached: the filter only marks the span
                }
            }

            foreach (var (sender, receipt) in answers.Where(r => r.Value.MessageIds.Count + r.Value.Rejections.Count > 0))
            {
                using var span = receiptParents?.GetValueOrDefault(sender) is { } parent && parent != default
                    ? GatewayTelemetry.StartContinuation("send Receipt", ActivityKind.Internal, node.Province, parent) : null;
                span?.SetTag("gateway.acknowledged", receipt.MessageIds.Count);
                span?.SetTag("gateway.rejected", receipt.Rejections.Count);
                await Outbound.EnqueueAsync(conn, tx, envelopes.CreateReceipt(sender, receipt), token);
            }
            return new BatchOutcome(dead, workItems, counted);
        }, ct);

    /// <summary>The record as an envelope that may touch the database, or null when it cannot be one.</summary>
    private Envelope? Read(ConsumeResult<string, byte[]> record)
    {
        var value = record.Message?.Value;
        if (value is null || value.Length == 0 || value.Length > MaxRecordBytes) return null;
        try
        {
            var envelope = Envelope.Parser.ParseFrom(value);
            return EnvelopeRules.Problem(envelope, node.Province) is null ? envelope : null;
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private string Unreadable(ConsumeResult<string, byte[]> record)
    {
        var value = record.Message?.Value;
        if (value is null) return "The record has no value (null): not an envelope.";
        if (value.Length == 0) return "The record is empty: not an envelope.";
        if (value.Length > MaxRecordBytes) return $"The record has {value.Length} bytes, more than the {MaxRecordBytes} an envelope may have.";
        try
        {
            return EnvelopeRules.Problem(Envelope.Parser.ParseFrom(value), node.Province) ?? "unreadable";
        }
        catch (InvalidProtocolBufferException ex)
        {
            return $"The record is not an envelope: {WireText.Clean(ex.Message, 200)}";
        }
    }

    /// <summary>
    /// The envelope's own fault: poison (including untrusted), or data PostgreSQL refuses to store (class 22, data
    /// exceptions such as a NUL character). Everything else — connection, permissions, missing tables, conflicts,
    /// bugs — is the node's, and is retried.
    /// </summary>
    private static bool IsEnvelopesFault(Exception ex) => ex switch
    {
        PoisonMessageException or EnvelopeTooLargeException => true,
        PostgresException pg => pg.SqlState.StartsWith("22", StringComparison.Ordinal),
        _ => false,
    };

    private static string Outcome(InboundOutcome outcome) => outcome switch
    {
        InboundOutcome.Applied => "applied",
        InboundOutcome.Duplicate => "duplicate",
        _ => "receipt",
    };

    private static Receipt AnswerFor(Dictionary<string, Receipt> answers, string sender)
    {
        if (!answers.TryGetValue(sender, out var receipt)) answers[sender] = receipt = new Receipt();
        return receipt;
    }

    private Task DeadLetterAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ConsumeResult<string, byte[]> record, Envelope? envelope, string reason, CancellationToken ct)
    {
        var messageId = envelope?.MessageId;
        logger.LogWarning("Dead-lettered {Topic}[{Partition}]@{Offset} ({MessageId}): {Reason}",
            record.Topic, record.Partition.Value, record.Offset.Value, messageId, reason);
        return DeadLetterStore.AddAsync(conn, tx, new DeadLetter(messageId, record.Topic, record.Partition.Value, record.Offset.Value,
            record.Message?.Key is null ? null : WireText.Clean(record.Message.Key, 200), record.Message?.Value, WireText.Clean(reason)), clock.UtcNow,
            MessageLogEntries.DeadLettered(envelope, record.Message?.Value), ct);
    }

    /// <summary>Copies dead-lettered records to the dead-letter topic too, for tools that watch Kafka. The table is the record.</summary>
    private async Task PublishDeadLettersAsync(List<(ConsumeResult<string, byte[]> Record, string Reason)> dead, CancellationToken ct)
    {
        if (dead.Count == 0) return;
        var records = dead.Select(d => new OutgoingRecord(TopicNames.DeadLetter(node.Province), d.Record.Message?.Key ?? "",
            d.Record.Message?.Value is { Length: <= MaxRecordBytes } value ? value : [],
            new Dictionary<string, string>
            {
                ["dead-letter-reason"] = d.Reason,
                ["original-topic"] = d.Record.Topic,
                ["original-partition"] = d.Record.Partition.Value.ToString(),
                ["original-offset"] = d.Record.Offset.Value.ToString(),
            })).ToList();
        var results = await producer.PublishBatchAsync(records, ct);
        foreach (var failed in results.Where(r => !r.Succeeded))
            logger.LogWarning("Dead-letter copy not published to Kafka ({Error}); the dead_letters table has it", failed.Error);
    }
}

/// <summary>What an inbound envelope must satisfy before it may touch the database.</summary>
internal static class EnvelopeRules
{
    /// <summary>Null when the envelope's identity fields are usable here, otherwise why not.</summary>
    public static string? Problem(Envelope e, string self)
    {
        if (!WireText.IsIdentifier(e.MessageId)) return "The envelope's message id is missing, too long or contains control characters.";
        if (!WireText.IsIdentifier(e.MessageType)) return "The envelope's message type is missing, too long or contains control characters.";
        if (!new Gateway.Domain.Values.ProvinceCode(e.SenderProvince).IsKnown) return "The envelope's sender is not a known province code.";
        if (e.SenderProvince == self) return "The envelope claims to come from this node itself.";
        if (e.ReceiverProvince != self) return $"Addressed to '{WireText.Clean(e.ReceiverProvince, 10)}', not to this node ({self}).";
        if (e.CorrelationId.Length > WireText.MaxIdLength || !(e.CorrelationId.Length == 0 || WireText.IsIdentifier(e.CorrelationId)))
            return "The envelope's correlation id is too long or contains control characters.";
        return null;
    }
}
