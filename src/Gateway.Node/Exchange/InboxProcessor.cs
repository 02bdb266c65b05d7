using Confluent.Kafka;
using Gateway.Contracts.Exchange.V1;
using Gateway.Messaging;
using Gateway.Node.Infrastructure;
using Gateway.Node.Transfers;
using Gateway.Storage;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gateway.Node.Exchange;

/// <summary>
/// Consumes this province's inbox topic: consume a batch → apply every envelope in ONE database
/// transaction (dedupe by message id, state change, outbound envelopes and receipts to the outbox,
/// poison to the dead-letter table) → commit → only then commit the Kafka offsets. A crash anywhere
/// leaves at worst a redelivery, which the inbox table absorbs.
/// </summary>
public sealed class InboxProcessor(
    NodeDatabase db,
    InboxConsumer consumer,
    EnvelopeProducer producer,
    TransferWorkflow workflow,
    EnvelopeFactory envelopes,
    NodeIdentity node,
    OutboxSignal outboxSignal,
    WorkItemSignal workItemSignal,
    BusinessClock clock,
    IOptions<NodeOptions> options,
    ILogger<InboxProcessor> logger) : BackgroundService
{
    private readonly Polly.ResiliencePipeline _commit = KafkaResilience.CommitPipeline();

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // The Kafka client blocks; keep it off the thread pool's request threads.
        Task.Factory.StartNew(() => RunAsync(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        consumer.Subscribe(TopicNames.Inbox(node.Province));
        logger.LogInformation("Consuming {Topic} as group {Group}", TopicNames.Inbox(node.Province), consumer.GroupId);
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<ConsumeResult<string, byte[]>> batch = [];
            try
            {
                batch = consumer.ConsumeBatch(options.Value.InboxBatchSize, TimeSpan.FromMilliseconds(200), stoppingToken);
                if (batch.Count == 0) continue;
                var outcome = await ApplyBatchAsync(batch, stoppingToken);
                // Applied and committed in PostgreSQL already: a failed offset commit only means a harmless redelivery.
                _commit.Execute(() => consumer.Commit(batch));
                await PublishDeadLettersAsync(outcome.DeadLetters, stoppingToken);
                if (outcome.Outbound) outboxSignal.Notify();
                if (outcome.WorkItems) workItemSignal.Notify();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Not committed: read the batch again after a pause; dedupe makes that harmless.
                logger.LogWarning(ex, "Inbox batch of {Count} failed; it will be read again", batch.Count);
                if (batch.Count > 0) consumer.Rewind(batch);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { });
            }
        }
    }

    private sealed record BatchOutcome(List<(ConsumeResult<string, byte[]> Record, string Reason)> DeadLetters, bool Outbound, bool WorkItems);

    private async Task<BatchOutcome> ApplyBatchAsync(IReadOnlyList<ConsumeResult<string, byte[]>> batch, CancellationToken ct) =>
        await db.InTransactionAsync(async (conn, tx, token) =>
        {
            var dead = new List<(ConsumeResult<string, byte[]>, string)>();
            var receipts = new Dictionary<string, Receipt>();
            bool outbound = false, workItems = false;

            foreach (var record in batch)
            {
                Envelope envelope;
                try
                {
                    envelope = Envelope.Parser.ParseFrom(record.Message.Value);
                    EnvelopeRules.Check(envelope, node.Province);
                }
                catch (Exception ex) when (ex is InvalidProtocolBufferException or PoisonMessageException)
                {
                    await DeadLetterAsync(conn, tx, record, null, ex.Message, token);
                    dead.Add((record, ex.Message));
                    continue;
                }

                if (envelope.MessageType == Receipt.Descriptor.Name)
                {
                    await ApplyReceiptAsync(conn, tx, envelope, token);
                    continue;
                }

                var receipt = ReceiptFor(receipts, envelope.SenderProvince);
                await using (var savepoint = new SavepointScope(tx, "envelope"))
                {
                    await savepoint.CreateAsync(token);
                    try
                    {
                        if (await InboxStore.TryRecordAsync(conn, tx, envelope.MessageId, envelope.MessageType, envelope.SenderProvince, token))
                        {
                            await workflow.ApplyAsync(conn, tx, envelope, token);
                            outbound = workItems = true;
                        }
                        await savepoint.ReleaseAsync(token);
                        receipt.MessageIds.Add(envelope.MessageId); // a duplicate is acknowledged again: its first receipt may be lost
                    }
                    catch (Exception ex) when (EnvelopeRules.IsEnvelopesFault(ex))
                    {
                        // Database trouble fails the whole batch (read again later); anything else is this envelope's fault.
                        var reason = ex is PoisonMessageException ? ex.Message : $"could not be applied: {ex.GetType().Name}: {ex.Message}";
                        await savepoint.RollbackAsync(token);
                        await DeadLetterAsync(conn, tx, record, envelope.MessageId, reason, token);
                        receipt.Rejections.Add(new Rejection { MessageId = envelope.MessageId, Reason = reason });
                        dead.Add((record, reason));
                    }
                }
            }

            foreach (var (sender, receipt) in receipts.Where(r => r.Value.MessageIds.Count + r.Value.Rejections.Count > 0))
            {
                await Outbound.EnqueueAsync(conn, tx, envelopes.CreateReceipt(sender, receipt), token);
                outbound = true;
            }
            return new BatchOutcome(dead, outbound, workItems);
        }, ct);

    private async Task ApplyReceiptAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, CancellationToken ct)
    {
        Receipt receipt;
        try { receipt = Receipt.Parser.ParseFrom(envelope.Payload); }
        catch (InvalidProtocolBufferException) { logger.LogWarning("Unreadable receipt {MessageId} ignored", envelope.MessageId); return; }

        var now = clock.UtcNow;
        foreach (var id in receipt.MessageIds.Where(EnvelopeRules.IsCleanId))
            await OutboxStore.MarkReceiptAsync(conn, tx, id, now, ct);
        foreach (var rejection in receipt.Rejections.Where(r => EnvelopeRules.IsCleanId(r.MessageId)))
        {
            // The receiver refused it for good: re-sending cannot help; operators must look.
            var row = await OutboxStore.GetAsync(conn, tx, rejection.MessageId, ct);
            if (row is null) continue;
            var reason = EnvelopeRules.Clean(rejection.Reason, 500);
            await OutboxRejections.MarkRejectedAsync(conn, tx, rejection.MessageId, reason, now, ct);
            if (row.CorrelationId is not null)
                await TransferStore.MarkExchangeFailedAsync(conn, tx, row.CorrelationId, $"{envelope.SenderProvince} rejected {row.MessageType}: {reason}", ct);
        }
    }

    private static Receipt ReceiptFor(Dictionary<string, Receipt> receipts, string sender)
    {
        if (!receipts.TryGetValue(sender, out var receipt)) receipts[sender] = receipt = new Receipt();
        return receipt;
    }

    private Task DeadLetterAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ConsumeResult<string, byte[]> record, string? messageId, string reason, CancellationToken ct)
    {
        logger.LogWarning("Dead-lettered {Topic}[{Partition}]@{Offset} ({MessageId}): {Reason}",
            record.Topic, record.Partition.Value, record.Offset.Value, messageId, reason);
        return DeadLetterStore.AddAsync(conn, tx, new DeadLetter(messageId, record.Topic, record.Partition.Value, record.Offset.Value,
            record.Message.Key is null ? null : EnvelopeRules.Clean(record.Message.Key, 200), record.Message.Value, EnvelopeRules.Clean(reason)), clock.UtcNow, ct);
    }

    /// <summary>Copies poison records to the dead-letter topic too, for tools that watch Kafka. The table is the record.</summary>
    private async Task PublishDeadLettersAsync(List<(ConsumeResult<string, byte[]> Record, string Reason)> dead, CancellationToken ct)
    {
        if (dead.Count == 0) return;
        var records = dead.Select(d => new OutgoingRecord(TopicNames.DeadLetter(node.Province), d.Record.Message.Key ?? "", d.Record.Message.Value,
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

/// <summary>A savepoint so one poison envelope rolls back alone and the rest of the batch commits.
/// Released only when the body finished; after any other failure the whole transaction is rolled back
/// by its owner, so nothing is sent to an aborted transaction here (that would hide the real error).</summary>
internal sealed class SavepointScope(NpgsqlTransaction tx, string name) : IAsyncDisposable
{
    public Task CreateAsync(CancellationToken ct) => tx.SaveAsync(name, ct);

    public Task ReleaseAsync(CancellationToken ct) => tx.ReleaseAsync(name, ct);

    public Task RollbackAsync(CancellationToken ct) => tx.RollbackAsync(name, ct);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>What an inbound envelope must satisfy before it may touch the database, and whose fault a failure is.</summary>
internal static class EnvelopeRules
{
    private const int MaxIdLength = 200;

    public static void Check(Envelope e, string self)
    {
        if (!IsIdentifier(e.MessageId)) throw new PoisonMessageException("The envelope's message id is missing, too long or contains control characters.");
        if (!IsIdentifier(e.MessageType)) throw new PoisonMessageException("The envelope's message type is missing, too long or contains control characters.");
        if (!IsProvince(e.SenderProvince)) throw new PoisonMessageException("The envelope's sender is not a two-digit province code.");
        if (e.SenderProvince == self) throw new PoisonMessageException("The envelope claims to come from this node itself.");
        if (e.ReceiverProvince != self) throw new PoisonMessageException($"Addressed to '{e.ReceiverProvince}', not to this node ({self}).");
        if (e.CorrelationId.Length > MaxIdLength || e.CorrelationId.Any(char.IsControl))
            throw new PoisonMessageException("The envelope's correlation id is too long or contains control characters.");
    }

    /// <summary>
    /// Poison, a bug triggered by this envelope, or a statement PostgreSQL refuses for this envelope's data —
    /// everything except an outage (connection, resources, operator intervention, lock or serialization conflicts).
    /// </summary>
    public static bool IsEnvelopesFault(Exception ex) => ex switch
    {
        PoisonMessageException => true,
        Npgsql.PostgresException pg => !IsOutage(pg.SqlState),
        NpgsqlException or OperationCanceledException or TimeoutException => false,
        _ => true,
    };

    private static bool IsOutage(string sqlState) =>
        sqlState is "40001" or "40P01" or "55P03" ||
        sqlState.StartsWith("08", StringComparison.Ordinal) || sqlState.StartsWith("53", StringComparison.Ordinal) ||
        sqlState.StartsWith("57", StringComparison.Ordinal) || sqlState.StartsWith("58", StringComparison.Ordinal);

    /// <summary>Text from the wire, made safe to store: no control characters, bounded length.</summary>
    public static string Clean(string? text, int max = 2_000)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var cleaned = new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return cleaned.Length <= max ? cleaned : cleaned[..max];
    }

    public static bool IsCleanId(string s) => IsIdentifier(s);

    private static bool IsIdentifier(string s) => s.Length is > 0 and <= MaxIdLength && !s.Any(char.IsControl);

    private static bool IsProvince(string s) => new Gateway.Domain.Values.ProvinceCode(s).IsKnown;
}
