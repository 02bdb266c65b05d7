using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Messaging;

/// <summary>One record to publish: the serialized envelope, keyed so related envelopes stay in order.</summary>
public sealed record OutgoingRecord(string Topic, string Key, byte[] Value, IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>
/// What happened to one record: acknowledged, or failed with <see cref="Error"/>. <see cref="Position"/> is
/// null when the broker acknowledged a retry as a duplicate of a record it already had (no offset is given then).
/// </summary>
public sealed record PublishResult(OutgoingRecord Record, bool Succeeded, string? Error, TopicPartitionOffset? Position);

/// <summary>
/// Idempotent producer for the outbox relay. A batch is handed to librdkafka in one go and its delivery
/// reports are awaited together; a failed record is reported, never thrown, and every record gets an
/// answer within the delivery timeout, so the relay can mark rows sent or leave them for a re-send.
/// Thread-safe.
/// </summary>
public sealed class EnvelopeProducer : IDisposable
{
    // Beyond message.timeout.ms librdkafka owes us a report; this margin covers a slow report thread.
    private static readonly TimeSpan ReportGrace = TimeSpan.FromSeconds(5);

    private readonly KafkaOptions _options;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private Client _producer;
    private volatile bool _fatal;
    private bool _disposed;

    public EnvelopeProducer(KafkaOptions options, ILogger<EnvelopeProducer>? logger = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _producer = new Client(Build());
    }

    public async Task<IReadOnlyList<PublishResult>> PublishBatchAsync(IReadOnlyList<OutgoingRecord> records, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0) return [];
        var producer = CurrentProducer();
        var batch = new DeliveryBatch(records);
        var queueDeadline = DateTime.UtcNow.AddMilliseconds(_options.DeliveryTimeoutMs);

        for (var i = 0; i < records.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            await EnqueueAsync(producer, batch, i, queueDeadline, ct).ConfigureAwait(false);
        }

        var wait = TimeSpan.FromMilliseconds(_options.DeliveryTimeoutMs) + ReportGrace;
        try
        {
            return await batch.Completion.WaitAsync(wait, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.LogError("No delivery report for some of {Count} records within {Wait}", records.Count, wait);
            return batch.FailRemaining("no delivery report within the delivery timeout");
        }
    }

    public void Dispose()
    {
        Client producer;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            producer = _producer;
        }
        // Whatever is still queued gets a bounded chance to leave; the outbox re-sends the rest.
        producer.Close(TimeSpan.FromSeconds(5));
    }

    private async Task EnqueueAsync(Client producer, DeliveryBatch batch, int index, DateTime deadline, CancellationToken ct)
    {
        var record = batch.Records[index];
        Message<string, byte[]> message;
        try
        {
            message = ToMessage(record);
        }
        catch (ArgumentException ex)
        {
            batch.Fail(index, ex.Message);
            return;
        }

        while (true)
        {
            try
            {
                if (!producer.TryProduce(record.Topic, message, report => batch.Report(index, report)))
                    batch.Fail(index, "the Kafka producer was closed (the node is stopping, or it was replaced after a fatal error)");
                return;
            }
            catch (ProduceException<string, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull && DateTime.UtcNow < deadline)
            {
                // librdkafka's queue is full: let delivery reports drain it, then try again.
                await Task.Delay(5, ct).ConfigureAwait(false);
            }
            catch (ProduceException<string, byte[]> ex)
            {
                batch.Fail(index, Describe(ex.Error));
                return;
            }
            catch (KafkaException ex)
            {
                batch.Fail(index, Describe(ex.Error));
                return;
            }
            catch (ArgumentException ex)
            {
                batch.Fail(index, ex.Message);
                return;
            }
        }
    }

    private static Message<string, byte[]> ToMessage(OutgoingRecord record)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(record.Topic);
        ArgumentNullException.ThrowIfNull(record.Key);
        ArgumentNullException.ThrowIfNull(record.Value);
        var message = new Message<string, byte[]> { Key = record.Key, Value = record.Value };
        if (record.Headers is { Count: > 0 } headers)
        {
            message.Headers = new Headers();
            foreach (var (name, value) in headers) message.Headers.Add(name, Encoding.UTF8.GetBytes(value));
        }
        return message;
    }

    // After a fatal error (an idempotence guarantee could not be kept) the handle is unusable: start afresh.
    private Client CurrentProducer()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_fatal) return _producer;
            var broken = _producer;
            _producer = new Client(Build());
            _fatal = false;
            _logger.LogWarning("Replaced the Kafka producer after a fatal error");
            // Its queued records already failed with the fatal error; closing must not block the caller.
            _ = Task.Run(() => broken.Close(TimeSpan.Zero));
            return _producer;
        }
    }

    private IProducer<string, byte[]> Build() =>
        new ProducerBuilder<string, byte[]>(_options.CreateProducerConfig())
            .SetErrorHandler((_, error) =>
            {
                if (error.IsFatal)
                {
                    _fatal = true;
                    _logger.LogCritical("Kafka producer fatal error {Code}: {Reason}", error.Code, error.Reason);
                }
                else
                {
                    _logger.LogWarning("Kafka producer error {Code}: {Reason}", error.Code, error.Reason);
                }
            })
            .SetLogHandler((_, log) => _logger.Log(ToLevel(log.Level), "librdkafka {Facility}: {Message}", log.Facility, log.Message))
            .Build();

    private static string Describe(Error error) => $"{error.Code}: {error.Reason}";

    internal static LogLevel ToLevel(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    /// <summary>
    /// One librdkafka producer and the lock that keeps a Produce out of its disposal: Confluent's handle does not guard
    /// that race, and librdkafka would write to freed memory. Produces share the lock; closing takes it alone, once.
    /// </summary>
    private sealed class Client(IProducer<string, byte[]> producer)
    {
        private readonly ReaderWriterLockSlim _use = new(LockRecursionPolicy.NoRecursion);
        private bool _closed;

        /// <summary>Hands the record to librdkafka; false, and nothing sent, once the producer is closed.</summary>
        public bool TryProduce(string topic, Message<string, byte[]> message, Action<DeliveryReport<string, byte[]>> report)
        {
            _use.EnterReadLock();
            try
            {
                if (_closed) return false;
                producer.Produce(topic, message, report);
                return true;
            }
            finally
            {
                _use.ExitReadLock();
            }
        }

        public void Close(TimeSpan flush)
        {
            _use.EnterWriteLock();
            try
            {
                if (_closed) return;
                _closed = true;
            }
            finally
            {
                _use.ExitWriteLock();
            }
            // No produce can start now. The lock itself stays undisposed: a late TryProduce may still take it.
            producer.Flush(flush);
            producer.Dispose();
        }
    }

    /// <summary>Collects one batch's delivery reports; completes when every record has an answer.</summary>
    private sealed class DeliveryBatch
    {
        private readonly PublishResult?[] _results;
        private readonly TaskCompletionSource<IReadOnlyList<PublishResult>> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining;

        public DeliveryBatch(IReadOnlyList<OutgoingRecord> records)
        {
            Records = records;
            _results = new PublishResult?[records.Count];
            _remaining = records.Count;
        }

        public IReadOnlyList<OutgoingRecord> Records { get; }

        public Task<IReadOnlyList<PublishResult>> Completion => _done.Task;

        public void Report(int index, DeliveryReport<string, byte[]> report) =>
            Set(index, report.Error.IsError
                ? new PublishResult(Records[index], false, Describe(report.Error), null)
                : new PublishResult(Records[index], true, null,
                    report.Offset == Offset.Unset ? null : report.TopicPartitionOffset));

        public void Fail(int index, string error) => Set(index, new PublishResult(Records[index], false, error, null));

        public IReadOnlyList<PublishResult> FailRemaining(string error)
        {
            for (var i = 0; i < _results.Length; i++) Fail(i, error);
            return _done.Task.Result;
        }

        private void Set(int index, PublishResult result)
        {
            if (Interlocked.CompareExchange(ref _results[index], result, null) is not null) return; // first answer wins
            if (Interlocked.Decrement(ref _remaining) == 0) _done.TrySetResult(_results!);
        }
    }
}
