using Gateway.Contracts.Exchange.V1;
using Gateway.Messaging;
using Gateway.Node.Infrastructure;
using Gateway.Node.Telemetry;
using Gateway.Node.Transfers;
using System.Diagnostics;
using Gateway.Storage;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Gateway.Node.Exchange;

/// <summary>
/// Publishes committed outbox rows with the idempotent producer: rows handed off by the committing path at once
/// (<see cref="OutboxHandOff"/>), everything else when a commit signals it or the poll finds it due. Re-sends
/// envelopes whose receipt has not come, with backoff, until the retry budget runs out and the exchange is marked
/// failed for operators.
/// </summary>
public sealed class OutboxRelay(
    NodeDatabase db,
    OutboxStore outbox,
    EnvelopeProducer producer,
    OutboxSignal signal,
    OutboxHandOff handOff,
    BusinessClock clock,
    IOptions<NodeOptions> options,
    KafkaOptions kafka,
    NodeIdentity node,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private const int BatchSize = 500;
    private readonly ResiliencePipeline<IReadOnlyList<PublishResult>> _publish = KafkaResilience.PublishPipeline(kafka, logger);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(HandOffLoopAsync(stoppingToken), PollLoopAsync(stoppingToken));

    /// <summary>Sends what the committing path handed off, batching whatever is already waiting.</summary>
    private async Task HandOffLoopAsync(CancellationToken stoppingToken)
    {
        var rows = new List<OutboxRow>(BatchSize);
        try
        {
            while (await handOff.Reader.WaitToReadAsync(stoppingToken))
            {
                rows.Clear();
                while (rows.Count < BatchSize && handOff.Reader.TryRead(out var row)) rows.Add(row);
                try
                {
                    await PublishAsync(rows, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Still in the outbox: the poll sends them once their hand-off lease ends.
                    logger.LogWarning(ex, "Hand-off of {Count} envelopes failed; the relay re-sends them", rows.Count);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    private async Task PollLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                int published;
                do published = await PumpOnceAsync(stoppingToken);
                while (published == BatchSize && !stoppingToken.IsCancellationRequested);
                await FailExhaustedAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The rows stay in the outbox; the next round sends them.
                logger.LogWarning(ex, "Outbox relay round failed; retrying after the poll interval");
            }
            await signal.WaitAsync(options.Value.OutboxPollInterval, stoppingToken);
        }
    }

    /// <summary>One round: claim due rows, publish them as one batch, record the outcome. Returns rows claimed.</summary>
    public async Task<int> PumpOnceAsync(CancellationToken ct)
    {
        var rows = await outbox.ClaimDueAsync(db, BatchSize, clock.UtcNow, ct);
        if (rows.Count == 0) return 0;
        await PublishAsync(rows, ct);
        return rows.Count;
    }

    /// <summary>Publishes rows as one batch and records the outcome of each.</summary>
    private async Task PublishAsync(IReadOnlyList<OutboxRow> rows, CancellationToken ct)
    {
        if (rows.Count == 0) return;

        var records = rows.Select(ToRecord).ToList();
        var spans = StartPublishSpans(rows);
        IReadOnlyList<PublishResult> results;
        try
        {
            results = await _publish.ExecuteAsync(async token => await producer.PublishBatchAsync(records, token), ct);
        }
        catch (Exception ex)
        {
            EndPublishSpans(spans, null, ex);
            if (ex is not (BrokenCircuitException or TimeoutRejectedException)) throw;
            // The claimed rows' lease runs out and they are sent in a later round.
            logger.LogWarning("Outbox round skipped: {Reason}", ex.Message);
            return;
        }
        EndPublishSpans(spans, results, null);
        CountPublished(rows, results);
        var now = clock.UtcNow;
        var sent = rows.Where((_, i) => results[i].Succeeded).ToList();
        var failed = rows.Where((_, i) => !results[i].Succeeded).ToList();
        if (sent.Count > 0) await outbox.MarkPublishedAsync(db, sent, now, ct);
        if (failed.Count > 0)
        {
            var error = results.First(r => !r.Succeeded).Error ?? "publish failed";
            await outbox.MarkPublishFailedAsync(db, failed, error, now, ct);
            logger.LogWarning("{Count} envelopes not published ({Error}); they stay due", failed.Count, error);
        }
    }

    /// <summary>Rows past their budget become failed and their transfers are flagged in the same transaction, so no flag is lost.</summary>
    private async Task FailExhaustedAsync(CancellationToken ct)
    {
        var failed = await db.InTransactionAsync(async (conn, tx, token) =>
        {
            var exhausted = await outbox.FailExhaustedAsync(conn, tx, clock.UtcNow, token);
            foreach (var row in exhausted.Where(r => r.CorrelationId is not null))
            {
                var reason = $"envelope {row.MessageId} ({row.MessageType}) got no receipt after {row.Attempts} attempts";
                await TransferStore.MarkExchangeFailedAsync(conn, tx, row.CorrelationId!, reason, token);
                await AuditLog.WriteAsync(conn, tx, "relay", "exchange_failed", row.CorrelationId!, null, ct: token);
            }
            return exhausted;
        }, ct);
        foreach (var row in failed)
            GatewayTelemetry.ExchangesFailed.Add(1, new("gateway.message_type", row.MessageType), new(GatewayTelemetry.ProvinceTag, node.Province));
        foreach (var row in failed)
            logger.LogError("Exchange of {MessageId} ({MessageType}, transfer {TransferId}) failed: no receipt after {Attempts} attempts",
                row.MessageId, row.MessageType, row.CorrelationId, row.Attempts);
    }

    /// <summary>One publish span per row, each a child of its envelope's enqueue span; null when nothing listens.</summary>
    private Activity?[]? StartPublishSpans(IReadOnlyList<OutboxRow> rows)
    {
        if (!GatewayTelemetry.Source.HasListeners()) return null;
        var previous = Activity.Current;
        var spans = new Activity?[rows.Count];
        for (var i = 0; i < rows.Count; i++)
            spans[i] = GatewayTelemetry.StartPublish(node.Province, rows[i].MessageType, rows[i].MessageId, rows[i].Topic, rows[i].Attempts + 1, rows[i].Payload);
        Activity.Current = previous; // the spans are not parents of what the relay does next
        return spans;
    }

    private static void EndPublishSpans(Activity?[]? spans, IReadOnlyList<PublishResult>? results, Exception? failure)
    {
        if (spans is null) return;
        for (var i = 0; i < spans.Length; i++)
        {
            if (spans[i] is not { } span) continue;
            if (failure is not null) GatewayTelemetry.Failed(span, failure);
            else if (!results![i].Succeeded) span.SetStatus(ActivityStatusCode.Error, "not published");
            span.Dispose();
        }
    }

    private void CountPublished(IReadOnlyList<OutboxRow> rows, IReadOnlyList<PublishResult> results)
    {
        if (!GatewayTelemetry.EnvelopesSent.Enabled && !GatewayTelemetry.EnvelopesResent.Enabled) return;
        var province = new KeyValuePair<string, object?>(GatewayTelemetry.ProvinceTag, node.Province);
        for (var i = 0; i < rows.Count; i++)
        {
            var type = new KeyValuePair<string, object?>("gateway.message_type", rows[i].MessageType);
            GatewayTelemetry.EnvelopesSent.Add(1, type, new("gateway.outcome", results[i].Succeeded ? "published" : "failed"), province);
            if (rows[i].Attempts > 0 && results[i].Succeeded) GatewayTelemetry.EnvelopesResent.Add(1, type, province);
        }
    }

    /// <summary>Re-sends carry the same message id; only the attempt counter in the envelope changes.</summary>
    private static OutgoingRecord ToRecord(OutboxRow row)
    {
        var payload = row.Payload;
        if (row.Attempts > 0)
        {
            var envelope = Envelope.Parser.ParseFrom(row.Payload);
            envelope.Attempt = row.Attempts + 1;
            payload = Google.Protobuf.MessageExtensions.ToByteArray(envelope);
        }
        return new OutgoingRecord(row.Topic, row.Key, payload, new Dictionary<string, string>
        {
            ["message-id"] = row.MessageId,
            ["message-type"] = row.MessageType,
        });
    }
}
