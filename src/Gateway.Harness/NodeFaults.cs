using Npgsql;

namespace Gateway.Harness;

/// <summary>
/// Faults a test puts into one node's own database: a trigger that refuses (as bad data, SQLSTATE 22023) some
/// transfer row changes, so the envelope that causes them is dead-lettered for real, until the test drops it.
/// </summary>
public static class NodeFaults
{
    public static Task RefuseTransferChangesAsync(ProvinceNode node, string name, string certno, string condition) => ExecuteAsync(node, $"""
        CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.certno = '{certno}' AND ({condition}) THEN RAISE EXCEPTION 'test refuses this change' USING ERRCODE = '22023'; END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON transfers FOR EACH ROW EXECUTE FUNCTION {name}();
        """);

    public static Task AllowTransferChangesAsync(ProvinceNode node, string name) =>
        ExecuteAsync(node, $"DROP TRIGGER {name} ON transfers; DROP FUNCTION {name}();");

    public static async Task ExecuteAsync(ProvinceNode node, string sql)
    {
        await using var conn = new NpgsqlConnection(node.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// What a broker whose retention has passed does to a stopped node: its group's offsets move to the end of its
    /// inbox, so whatever waited there is never read. Only the senders' outboxes still hold those envelopes.
    /// </summary>
    public static void LoseInbox(GatewayCluster cluster, string province)
    {
        if (cluster[province].IsRunning) throw new InvalidOperationException($"Stop node {province} first: its group must have no members.");
        var topic = Gateway.Messaging.TopicNames.Inbox(province);
        using var consumer = new Confluent.Kafka.ConsumerBuilder<byte[], byte[]>(new Confluent.Kafka.ConsumerConfig
        {
            BootstrapServers = cluster.Broker.BootstrapServers, GroupId = $"gateway-node-{province}", EnableAutoCommit = false,
            // As the node's own settings on the embedded broker: the mock holds the next rebalance this long.
            SessionTimeoutMs = 4000, HeartbeatIntervalMs = 500,
        }).Build();
        // The mock broker takes commits only from a member of the group: join it, as the node would.
        consumer.Subscribe(topic);
        var until = DateTime.UtcNow.AddSeconds(60);
        while (consumer.Assignment.Count < cluster.Options.InboxPartitions)
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"No assignment of {topic} within 60 s.");
            consumer.Consume(TimeSpan.FromMilliseconds(200));
        }
        var ends = consumer.Assignment.Select(partition =>
            new Confluent.Kafka.TopicPartitionOffset(partition, consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High)).ToList();
        consumer.Commit(ends);
        consumer.Close();
    }

    /// <summary>Polls until <paramref name="probe"/> finds something, at most <paramref name="timeout"/>.</summary>
    public static async Task<T> PollAsync<T>(Func<Task<T?>> probe, string what, TimeSpan timeout) where T : class
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await probe() is { } found) return found;
            if (DateTime.UtcNow > until) throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.");
            await Task.Delay(200);
        }
    }
}
