using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Gateway.EmbeddedBroker;

/// <summary>
/// librdkafka's mock Kafka cluster hosted in this process: real Kafka protocol on random 127.0.0.1 ports,
/// in memory, with fault injection. Clients reach it only through <see cref="BootstrapServers"/>.
/// All members are thread-safe.
/// </summary>
public sealed class EmbeddedKafkaBroker : IDisposable
{
    private readonly object _gate = new();
    private IntPtr _handle;   // rd_kafka_t the cluster is attached to (book-keeping only)
    private IntPtr _cluster;  // rd_kafka_mock_cluster_t

    private EmbeddedKafkaBroker(IntPtr handle, IntPtr cluster, int brokerCount)
    {
        _handle = handle;
        _cluster = cluster;
        BrokerCount = brokerCount;
        BootstrapServers = Marshal.PtrToStringAnsi(NativeMethods.rd_kafka_mock_cluster_bootstraps(cluster))
            ?? throw new EmbeddedBrokerException("mock cluster returned no bootstrap servers");
    }

    public string BootstrapServers { get; }

    public int BrokerCount { get; }

    public static EmbeddedKafkaBroker Start(EmbeddedBrokerOptions? options = null)
    {
        options ??= new EmbeddedBrokerOptions();
        if (options.BrokerCount < 1) throw new ArgumentOutOfRangeException(nameof(options), "BrokerCount must be at least 1");
        NativeLibraryResolver.EnsureRegistered();

        var handle = CreateHostHandle();
        var cluster = NativeMethods.rd_kafka_mock_cluster_new(handle, options.BrokerCount);
        if (cluster == IntPtr.Zero)
        {
            NativeMethods.rd_kafka_destroy(handle);
            throw new EmbeddedBrokerException("rd_kafka_mock_cluster_new failed");
        }

        var broker = new EmbeddedKafkaBroker(handle, cluster, options.BrokerCount);
        try
        {
            broker.SetGroupInitialRebalanceDelay(options.GroupInitialRebalanceDelay);
            foreach (var topic in options.Topics)
                broker.CreateTopic(topic.Name, topic.Partitions, topic.ReplicationFactor);
            return broker;
        }
        catch
        {
            broker.Dispose();
            throw;
        }
    }

    public void CreateTopic(string name, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicationFactor, BrokerCount);
        Call($"create topic {name}", c => NativeMethods.rd_kafka_mock_topic_create(c, name, partitions, replicationFactor));
    }

    /// <summary>Drops the broker's connections and refuses new ones. Its partitions stay leaderless until it is up again or moved.</summary>
    public void SetBrokerDown(int brokerId) =>
        Call($"set broker {brokerId} down", c => NativeMethods.rd_kafka_mock_broker_set_down(c, CheckBroker(brokerId)));

    public void SetBrokerUp(int brokerId) =>
        Call($"set broker {brokerId} up", c => NativeMethods.rd_kafka_mock_broker_set_up(c, CheckBroker(brokerId)));

    public void SetRoundTripTime(int brokerId, TimeSpan rtt)
    {
        var ms = ToMilliseconds(rtt, nameof(rtt));
        Call($"set broker {brokerId} rtt", c => NativeMethods.rd_kafka_mock_broker_set_rtt(c, CheckBroker(brokerId), ms));
    }

    /// <summary>The next requests of <paramref name="api"/> (cluster-wide, any broker) fail with these errors, one each, in order.</summary>
    public void PushRequestErrors(KafkaApi api, params ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Length == 0) return;
        var codes = errors.Select(e => (int)e).ToArray();
        Call($"push {api} errors", c =>
        {
            NativeMethods.rd_kafka_mock_push_request_errors_array(c, (short)api, (nuint)codes.Length, codes);
            return 0;
        });
    }

    public void ClearRequestErrors(KafkaApi api) =>
        Call($"clear {api} errors", c =>
        {
            NativeMethods.rd_kafka_mock_clear_request_errors(c, (short)api);
            return 0;
        });

    /// <summary>Moves leadership of one partition (creating the topic if needed); -1 makes it leaderless.</summary>
    public void SetPartitionLeader(string topic, int partition, int brokerId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        if (brokerId != -1) CheckBroker(brokerId);
        Call($"set leader of {topic}[{partition}]", c => NativeMethods.rd_kafka_mock_partition_set_leader(c, topic, partition, brokerId));
    }

    public void SetGroupInitialRebalanceDelay(TimeSpan delay)
    {
        var ms = ToMilliseconds(delay, nameof(delay));
        Call("set group initial rebalance delay", c =>
        {
            NativeMethods.rd_kafka_mock_group_initial_rebalance_delay_ms(c, ms);
            return 0;
        });
    }

    /// <summary>Starts recording every request the cluster receives (see <see cref="TrackedRequests"/>).</summary>
    public void StartRequestTracking() => Call("start request tracking", c =>
    {
        NativeMethods.rd_kafka_mock_start_request_tracking(c);
        return 0;
    });

    public void StopRequestTracking() => Call("stop request tracking", c =>
    {
        NativeMethods.rd_kafka_mock_stop_request_tracking(c);
        return 0;
    });

    public void ClearTrackedRequests() => Call("clear tracked requests", c =>
    {
        NativeMethods.rd_kafka_mock_clear_requests(c);
        return 0;
    });

    /// <summary>Requests recorded since tracking started, oldest first; lets a test prove a client really retried.</summary>
    public IReadOnlyList<TrackedRequest> TrackedRequests()
    {
        var requests = new List<TrackedRequest>();
        Call("read tracked requests", c =>
        {
            var array = NativeMethods.rd_kafka_mock_get_requests(c, out var count);
            if (array == IntPtr.Zero) return 0;
            try
            {
                for (var i = 0; i < (int)count; i++)
                {
                    var request = Marshal.ReadIntPtr(array, i * IntPtr.Size);
                    requests.Add(new TrackedRequest(
                        NativeMethods.rd_kafka_mock_request_id(request),
                        (KafkaApi)NativeMethods.rd_kafka_mock_request_api_key(request),
                        NativeMethods.rd_kafka_mock_request_timestamp(request)));
                }
            }
            finally
            {
                NativeMethods.rd_kafka_mock_request_destroy_array(array, count);
            }
            return 0;
        });
        return requests;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster == IntPtr.Zero) return;
            NativeMethods.rd_kafka_mock_cluster_destroy(_cluster);
            NativeMethods.rd_kafka_destroy(_handle);
            _cluster = IntPtr.Zero;
            _handle = IntPtr.Zero;
        }
    }

    private void Call(string what, Func<IntPtr, int> native)
    {
        int err;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
            err = native(_cluster);
        }
        if (err != 0)
            throw new EmbeddedBrokerException($"{what}: {NativeMethods.ErrorName(err)}", (ErrorCode)err);
    }

    private int CheckBroker(int brokerId)
    {
        if (brokerId < 1 || brokerId > BrokerCount)
            throw new ArgumentOutOfRangeException(nameof(brokerId), brokerId, $"broker ids run 1..{BrokerCount}");
        return brokerId;
    }

    private static int ToMilliseconds(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue)
            throw new ArgumentOutOfRangeException(name, value, "must be between zero and int.MaxValue ms");
        return (int)value.TotalMilliseconds;
    }

    // The cluster needs an rd_kafka_t for its logging and threads; a quiet producer with no brokers of its own.
    private static IntPtr CreateHostHandle()
    {
        var errstr = new byte[512];
        var conf = NativeMethods.rd_kafka_conf_new();
        if (NativeMethods.rd_kafka_conf_set(conf, "log_level", "3", errstr, (nuint)errstr.Length) != NativeMethods.ConfOk)
        {
            NativeMethods.rd_kafka_conf_destroy(conf);
            throw new EmbeddedBrokerException("configure mock host: " + ErrorText(errstr));
        }
        var handle = NativeMethods.rd_kafka_new(NativeMethods.ProducerType, conf, errstr, (nuint)errstr.Length);
        if (handle == IntPtr.Zero)
        {
            NativeMethods.rd_kafka_conf_destroy(conf); // not owned by librdkafka when rd_kafka_new fails
            throw new EmbeddedBrokerException("create mock host: " + ErrorText(errstr));
        }
        return handle;
    }

    private static string ErrorText(byte[] errstr)
    {
        var end = Array.IndexOf(errstr, (byte)0);
        return System.Text.Encoding.ASCII.GetString(errstr, 0, end < 0 ? errstr.Length : end);
    }
}
