using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Messaging;

/// <summary>
/// Consumer-group reader of a province's inbox. Offsets are neither committed nor stored automatically:
/// the caller applies a batch in its database transaction and only then calls <see cref="Commit"/>.
/// A crash in between means redelivery, which inbox deduplication absorbs.
/// Use one instance from one thread, as with any Kafka consumer; only <see cref="Lag"/>, <see cref="Assignment"/> and
/// <see cref="Dispose"/> may come from others. Every call into librdkafka holds <c>_handle</c>, so a dispose never
/// frees the client under a running poll (Confluent's handle does not guard that, and librdkafka would use freed memory).
/// </summary>
public sealed class InboxConsumer : IDisposable
{
    private static readonly TimeSpan PollSlice = TimeSpan.FromMilliseconds(100);
    // A gauge read waits at most this for the consume loop's poll slice; otherwise it reports the last value.
    private static readonly TimeSpan LagWait = TimeSpan.FromMilliseconds(250);

    private readonly ILogger _logger;
    private readonly IConsumer<string, byte[]> _consumer;
    private readonly HashSet<TopicPartition> _assigned = []; // guarded by itself: Assignment may be read from any thread
    private readonly object _handle = new();
    private bool _disposed; // written under _handle
    private long _lastLag;

    public InboxConsumer(KafkaOptions options, string groupId, ILogger<InboxConsumer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        GroupId = groupId;
        _consumer = new ConsumerBuilder<string, byte[]>(options.CreateConsumerConfig(groupId))
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => OnRevoked(partitions))
            .SetPartitionsLostHandler((_, partitions) => OnLost(partitions))
            .SetErrorHandler((_, error) => _logger.Log(error.IsFatal ? LogLevel.Critical : LogLevel.Warning,
                "Kafka consumer error {Code}: {Reason}", error.Code, error.Reason))
            .SetLogHandler((_, log) => _logger.Log(EnvelopeProducer.ToLevel(log.Level), "librdkafka {Facility}: {Message}", log.Facility, log.Message))
            .Build();
    }

    public string GroupId { get; }

    /// <summary>Partitions this member owns right now (changes only inside <see cref="ConsumeBatch"/>). Safe from any thread.</summary>
    public IReadOnlyCollection<TopicPartition> Assignment => Owned();

    /// <summary>
    /// Records fetched by the broker but not yet consumed, over the owned partitions: the high watermark and position
    /// librdkafka already holds (no broker request). Partitions whose position is not known yet count nothing.
    /// </summary>
    public long Lag()
    {
        if (!Monitor.TryEnter(_handle, LagWait)) return Interlocked.Read(ref _lastLag);
        try
        {
            if (_disposed) return 0;
            long lag = 0;
            foreach (var partition in Owned())
            {
                var high = _consumer.GetWatermarkOffsets(partition).High;
                var position = _consumer.Position(partition);
                if (high.IsSpecial || position.IsSpecial) continue;
                lag += Math.Max(0, high.Value - position.Value);
            }
            Interlocked.Exchange(ref _lastLag, lag);
            return lag;
        }
        finally
        {
            Monitor.Exit(_handle);
        }
    }

    public void Subscribe(string topic) => Subscribe([topic]);

    public void Subscribe(IEnumerable<string> topics)
    {
        lock (_handle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _consumer.Subscribe(topics);
        }
    }

    /// <summary>
    /// Waits up to <paramref name="maxWait"/> for the first record, then takes whatever else is already
    /// fetched, up to <paramref name="maxRecords"/>. Returns an empty list when nothing came.
    /// </summary>
    public IReadOnlyList<ConsumeResult<string, byte[]>> ConsumeBatch(int maxRecords, TimeSpan maxWait, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRecords, 1);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var batch = new List<ConsumeResult<string, byte[]>>(Math.Min(maxRecords, 512));
        var clock = Stopwatch.StartNew();

        while (batch.Count == 0)
        {
            ct.ThrowIfCancellationRequested();
            var left = maxWait - clock.Elapsed;
            if (left <= TimeSpan.Zero) break;
            if (ConsumeOne(left < PollSlice ? left : PollSlice) is { } first) batch.Add(first);
        }
        while (batch.Count > 0 && batch.Count < maxRecords && ConsumeOne(TimeSpan.Zero) is { } next)
            batch.Add(next);

        // A rebalance inside the loop may have taken partitions away: their records now belong to another member.
        if (batch.Count > 0)
        {
            var owned = Owned();
            batch.RemoveAll(r => !owned.Contains(r.TopicPartition));
        }
        return batch;
    }

    /// <summary>
    /// Commits, per partition, the offset after the highest processed record. Call only once the records'
    /// effects are durable. Records of partitions no longer owned are skipped (their new owner re-reads them).
    /// </summary>
    public void Commit(IEnumerable<ConsumeResult<string, byte[]>> processed)
    {
        ArgumentNullException.ThrowIfNull(processed);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var owned = Owned();
        var offsets = processed
            .GroupBy(r => r.TopicPartition)
            .Where(g => owned.Contains(g.Key))
            .Select(g => new TopicPartitionOffset(g.Key, new Offset(g.Max(r => r.Offset.Value) + 1)))
            .ToList();
        if (offsets.Count == 0) return;
        try
        {
            lock (_handle)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _consumer.Commit(offsets);
            }
        }
        catch (KafkaException ex) when (IsRebalanceError(ex.Error.Code))
        {
            // The group moved on; the records will be redelivered and deduplicated.
            _logger.LogWarning("Commit of {Count} partition offsets lost to a rebalance: {Reason}", offsets.Count, ex.Error.Reason);
        }
    }

    /// <summary>
    /// Stores, per partition, the offset after the highest processed record, for the consumer's background commit
    /// (auto.commit.interval.ms). Call only once the records' effects are durable; cheap and never blocks on the
    /// broker. A commit lost in a crash or a rebalance only means a redelivery, which the caller must absorb.
    /// </summary>
    public void StoreOffsets(IEnumerable<ConsumeResult<string, byte[]>> processed)
    {
        ArgumentNullException.ThrowIfNull(processed);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var owned = Owned();
        foreach (var partition in processed.GroupBy(r => r.TopicPartition).Where(g => owned.Contains(g.Key)))
        {
            try
            {
                lock (_handle)
                {
                    ObjectDisposedException.ThrowIf(_disposed, this);
                    _consumer.StoreOffset(new TopicPartitionOffset(partition.Key, new Offset(partition.Max(r => r.Offset.Value) + 1)));
                }
            }
            catch (KafkaException ex) when (ex.Error.Code is ErrorCode.Local_State or ErrorCode.Local_UnknownPartition)
            {
                // The partition went away in a rebalance; its new owner reads from the last commit.
                _logger.LogWarning("Offset of {Partition} not stored: {Reason}", partition.Key, ex.Error.Reason);
            }
        }
    }

    /// <summary>
    /// Seeks back to the first of these records in each partition, so they are consumed again
    /// (for a batch whose database transaction failed).
    /// </summary>
    public void Rewind(IEnumerable<ConsumeResult<string, byte[]>> unprocessed)
    {
        ArgumentNullException.ThrowIfNull(unprocessed);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var owned = Owned();
        foreach (var partition in unprocessed.GroupBy(r => r.TopicPartition).Where(g => owned.Contains(g.Key)))
        {
            lock (_handle)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _consumer.Seek(new TopicPartitionOffset(partition.Key, new Offset(partition.Min(r => r.Offset.Value))));
            }
        }
    }

    public void Dispose()
    {
        lock (_handle)
        {
            if (_disposed) return;
            _disposed = true;
            try
            {
                _consumer.Close(); // leave the group now rather than after the session timeout
            }
            catch (KafkaException ex)
            {
                _logger.LogWarning("Kafka consumer close failed: {Reason}", ex.Error.Reason);
            }
            _consumer.Dispose();
        }
    }

    private ConsumeResult<string, byte[]>? ConsumeOne(TimeSpan timeout)
    {
        try
        {
            ConsumeResult<string, byte[]>? result;
            lock (_handle)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                result = _consumer.Consume(timeout);
            }
            return result is { IsPartitionEOF: false } ? result : null;
        }
        catch (ConsumeException ex) when (!ex.Error.IsFatal)
        {
            // E.g. the inbox topic does not exist yet; keep polling.
            _logger.LogWarning("Kafka consume error {Code}: {Reason}", ex.Error.Code, ex.Error.Reason);
            return null;
        }
    }

    private void OnAssigned(IEnumerable<TopicPartition> partitions)
    {
        var list = partitions.ToList();
        lock (_assigned) _assigned.UnionWith(list);
        _logger.LogInformation("Group {Group} assigned {Partitions}", GroupId, string.Join(", ", list));
    }

    private void OnRevoked(IEnumerable<TopicPartitionOffset> partitions)
    {
        // Everything handed out earlier was committed by the caller or will be re-read by the next owner.
        var list = partitions.Select(p => p.TopicPartition).ToList();
        lock (_assigned) _assigned.ExceptWith(list);
        _logger.LogInformation("Group {Group} revoked {Partitions}", GroupId, string.Join(", ", list));
    }

    private void OnLost(IEnumerable<TopicPartitionOffset> partitions)
    {
        // Lost means another member may already own them: drop their in-flight positions, never commit them.
        var list = partitions.Select(p => p.TopicPartition).ToList();
        lock (_assigned) _assigned.ExceptWith(list);
        _logger.LogWarning("Group {Group} lost {Partitions}", GroupId, string.Join(", ", list));
    }

    private HashSet<TopicPartition> Owned()
    {
        lock (_assigned) return [.. _assigned];
    }

    private static bool IsRebalanceError(ErrorCode code) => code is
        ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration or ErrorCode.UnknownMemberId
        or ErrorCode.Local_State or ErrorCode.Local_AssignmentLost;
}
