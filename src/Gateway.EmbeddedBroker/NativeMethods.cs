using System.Runtime.InteropServices;

namespace Gateway.EmbeddedBroker;

/// <summary>The slice of librdkafka (rdkafka.h, rdkafka_mock.h) the embedded broker needs.</summary>
internal static class NativeMethods
{
    public const string Library = "librdkafka";

    public const int ProducerType = 0; // RD_KAFKA_PRODUCER
    public const int ConfOk = 0;       // RD_KAFKA_CONF_OK

    [DllImport(Library)]
    public static extern IntPtr rd_kafka_conf_new();

    [DllImport(Library, CharSet = CharSet.Ansi, BestFitMapping = false)]
    public static extern int rd_kafka_conf_set(IntPtr conf, string name, string value, byte[] errstr, nuint errstrSize);

    [DllImport(Library)]
    public static extern void rd_kafka_conf_destroy(IntPtr conf);

    [DllImport(Library)]
    public static extern IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errstr, nuint errstrSize);

    [DllImport(Library)]
    public static extern void rd_kafka_destroy(IntPtr rk);

    [DllImport(Library)]
    public static extern IntPtr rd_kafka_err2name(int err);

    [DllImport(Library)]
    public static extern IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);

    [DllImport(Library)]
    public static extern void rd_kafka_mock_cluster_destroy(IntPtr cluster);

    [DllImport(Library)]
    public static extern IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);

    [DllImport(Library, CharSet = CharSet.Ansi, BestFitMapping = false)]
    public static extern int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitions, int replicationFactor);

    [DllImport(Library, CharSet = CharSet.Ansi, BestFitMapping = false)]
    public static extern int rd_kafka_mock_partition_set_leader(IntPtr cluster, string topic, int partition, int brokerId);

    [DllImport(Library)]
    public static extern int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId);

    [DllImport(Library)]
    public static extern int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId);

    [DllImport(Library)]
    public static extern int rd_kafka_mock_broker_set_rtt(IntPtr cluster, int brokerId, int rttMs);

    [DllImport(Library)]
    public static extern void rd_kafka_mock_push_request_errors_array(IntPtr cluster, short apiKey, nuint count, int[] errors);

    [DllImport(Library)]
    public static extern void rd_kafka_mock_clear_request_errors(IntPtr cluster, short apiKey);

    [DllImport(Library)]
    public static extern void rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr cluster, int delayMs);

    [DllImport(Library)]
    public static extern void rd_kafka_mock_start_request_tracking(IntPtr cluster);

    [DllImport(Library)]
    public static extern void rd_kafka_mock_stop_request_tracking(IntPtr cluster);

    [DllImport(Library)]
    public static extern void rd_kafka_mock_clear_requests(IntPtr cluster);

    [DllImport(Library)]
    public static extern IntPtr rd_kafka_mock_get_requests(IntPtr cluster, out nuint count);

    [DllImport(Library)]
    public static extern void rd_kafka_mock_request_destroy_array(IntPtr requests, nuint count);

    [DllImport(Library)]
    public static extern int rd_kafka_mock_request_id(IntPtr request);

    [DllImport(Library)]
    public static extern short rd_kafka_mock_request_api_key(IntPtr request);

    [DllImport(Library)]
    public static extern long rd_kafka_mock_request_timestamp(IntPtr request);

    /// <summary>librdkafka's own name for an error code, e.g. NOT_LEADER_FOR_PARTITION.</summary>
    public static string ErrorName(int err) =>
        Marshal.PtrToStringAnsi(rd_kafka_err2name(err)) ?? $"error {err}";
}
