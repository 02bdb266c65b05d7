using System.Diagnostics;
using Confluent.Kafka;
using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.EmbeddedBroker;
using Gateway.Messaging;
using Gateway.ProvinceSimulator;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;

namespace Gateway.Harness.Simulation;

/// <summary>
/// Applies the faults of a schedule one after another at their times, each through the component's own fault
/// surface (process signals, the broker's mock API, redis FLUSHALL, pg_ctl, plain Kafka producers, the simulator),
/// and records each as applied (or why not) with its time.
/// </summary>
public sealed class FaultInjector(SimulationState state, Random random, ILogger log)
{
    private readonly GatewayCluster _cluster = state.Cluster;

    /// <summary>The target recorded for a fault that moves every node at once.</summary>
    public const string EveryNode = "all";

    public async Task RunAsync(IReadOnlyList<FaultSpec> schedule, DateTime start, CancellationToken ct)
    {
        foreach (var fault in schedule)
        {
            var due = start + fault.At;
            if (due > DateTime.UtcNow) await Task.Delay(due - DateTime.UtcNow, ct);
            var at = DateTime.UtcNow - start;
            var watch = Stopwatch.StartNew();
            var target = fault.Kind == FaultKind.ClockMoved ? EveryNode
                : fault.Target.Length > 0 ? fault.Target : state.Scenario.Provinces[random.Next(state.Scenario.Provinces.Count)];
            string detail;
            bool applied;
            try
            {
                (applied, detail) = await ApplyAsync(fault, target, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                (applied, detail) = (false, $"could not apply: {ex.GetType().Name}: {ex.Message}");
            }
            var done = new AppliedFault(at, fault.Kind, target, watch.Elapsed, applied, detail);
            state.Faults.Enqueue(done);
            log.LogInformation("Fault {Kind} on {Target} at {At:mm\\:ss}: {Detail}", fault.Kind, target, at, detail);
        }
    }

    private async Task<(bool, string)> ApplyAsync(FaultSpec fault, string target, CancellationToken ct)
    {
        if (fault.Kind == FaultKind.ClockMoved) return await MoveClockAsync(ct);
        var duration = fault.Duration ?? TimeSpan.FromSeconds(3);
        var node = _cluster[target];
        var external = target == state.Scenario.ExternalSystem;
        switch (fault.Kind)
        {
            case FaultKind.NodeKill:
            {
                if (node.ProcessId is not { } pid) return (false, "the node runs in this process: nothing to SIGKILL");
                await node.KillAsync();
                await Task.Delay(duration, ct);
                await node.StartAsync(ct);
                return (true, $"SIGKILL pid {pid}, down {duration.TotalSeconds:0.0} s, restarted as pid {node.ProcessId}");
            }
            case FaultKind.BrokerDown:
                for (var b = 1; b <= _cluster.Broker.BrokerCount; b++) _cluster.Broker.SetBrokerDown(b);
                try { await Task.Delay(duration, ct); }
                finally { for (var b = 1; b <= _cluster.Broker.BrokerCount; b++) _cluster.Broker.SetBrokerUp(b); }
                return (true, $"all {_cluster.Broker.BrokerCount} broker(s) down {duration.TotalSeconds:0.0} s");
            case FaultKind.BrokerRequestErrors:
            {
                var produce = Enumerable.Range(0, 6).Select(i => i % 2 == 0 ? ErrorCode.NotLeaderForPartition : ErrorCode.RequestTimedOut).ToArray();
                _cluster.Broker.PushRequestErrors(KafkaApi.Produce, produce);
                _cluster.Broker.PushRequestErrors(KafkaApi.Fetch, ErrorCode.NotLeaderForPartition, ErrorCode.LeaderNotAvailable);
                return (true, $"{produce.Length} produce and 2 fetch requests fail with retriable errors");
            }
            case FaultKind.BrokerLatency:
            {
                var rtt = TimeSpan.FromMilliseconds(150 + random.Next(350));
                for (var b = 1; b <= _cluster.Broker.BrokerCount; b++) _cluster.Broker.SetRoundTripTime(b, rtt);
                try { await Task.Delay(duration, ct); }
                finally { for (var b = 1; b <= _cluster.Broker.BrokerCount; b++) _cluster.Broker.SetRoundTripTime(b, TimeSpan.Zero); }
                return (true, $"round trip {rtt.TotalMilliseconds:0} ms on every broker for {duration.TotalSeconds:0.0} s");
            }
            case FaultKind.LeaderChange:
            {
                if (_cluster.Broker.BrokerCount < 2) return (false, "one broker: no other leader to move to");
                var topic = TopicNames.Inbox(target);
                var leader = 1 + random.Next(_cluster.Broker.BrokerCount);
                for (var p = 0; p < _cluster.Options.InboxPartitions; p++) _cluster.Broker.SetPartitionLeader(topic, p, leader);
                return (true, $"every partition of {topic} led by broker {leader}");
            }
            case FaultKind.RedisFlush:
            {
                var endpoint = RedisEndpoint();
                if (endpoint is null) return (false, "no redis-server in this run (in-memory fast path)");
                await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"{endpoint},allowAdmin=true,abortConnect=false");
                var server = redis.GetServer(endpoint);
                var keys = await server.DatabaseSizeAsync();
                await server.FlushAllDatabasesAsync();
                return (true, $"FLUSHALL: {keys} key(s) gone");
            }
            case FaultKind.RedisRestart:
            {
                if (_cluster.Redis is not { } redis) return (false, "no private redis-server to restart");
                await redis.StopAsync();
                try { await Task.Delay(duration, ct); }
                finally { await redis.RestartAsync(CancellationToken.None); }
                return (true, $"redis-server killed, down {duration.TotalSeconds:0.0} s, started again empty");
            }
            case FaultKind.PostgresRestart:
                return (true, await RestartPostgresAsync(ct));
            case FaultKind.DuplicateEnvelopes:
                return (true, await DuplicateAsync(target, ct));
            case FaultKind.DropEnvelopes:
            {
                if (external) return (false, "not on the integrator's node");
                await node.StopAsync();
                try { NodeFaults.LoseInbox(_cluster, target); }
                finally { await node.StartAsync(ct); }
                return (true, $"node {target} stopped, its group's offsets moved to the end of its inbox (what waited there is dropped), restarted");
            }
            case FaultKind.PoisonEnvelopes:
                return (true, await PoisonAsync(target, ct));
            case FaultKind.SlowProvinceSystem:
            {
                if (node.Simulator is not { } simulator) return (false, "no simulated province system at this node");
                simulator.Pause();
                try { await Task.Delay(duration, ct); }
                finally { simulator.Resume(); }
                return (true, $"province system {target} answered nothing for {duration.TotalSeconds:0.0} s");
            }
            case FaultKind.AnswersTwice:
                return await AnswerAgainAsync(target, ct);
            case FaultKind.ProvinceSystemRestart:
            {
                if (node.Simulator is not { } old) return (false, "no simulated province system at this node");
                await old.StopAsync();
                state.RetiredSimulators.Enqueue((target, old));
                var fresh = new SimulatedProvinceSystem(target, node.Channel, node.Registry, options: new SimulatorOptions { TimeProvider = _cluster.Time });
                node.Simulator = fresh;
                await fresh.StartAsync(CancellationToken.None);
                return (true, $"province system {target} stopped mid-stream ({old.Counters.Answered} answers given) and started again with no memory of its answers");
            }
            default:
                return (false, "unknown kind");
        }
    }

    /// <summary>
    /// Every node's "now" jumps to a few minutes past the next midnight in China. Each jump stays under a day, so an
    /// idempotency key recorded just before it (kept 24 h) is still there after it, and all the jumps of a run stay
    /// under <see cref="MostMoved"/>, so an envelope signed at the start is still fresh (7 days) when it is re-sent.
    /// </summary>
    private async Task<(bool, string)> MoveClockAsync(CancellationToken ct)
    {
        if (_cluster.Clock is not { } clock) return (false, "the cluster runs on the system clock (no ClockStart)");
        // The workload retries a call with the same key for up to 3 minutes: two jumps inside that could outlive its key.
        var waited = _lastJump + MinBetweenJumps - DateTime.UtcNow;
        if (waited > TimeSpan.Zero) await Task.Delay(waited, ct);
        _lastJump = DateTime.UtcNow;
        var wait = waited > TimeSpan.Zero ? $" (after waiting {waited.TotalSeconds:0} s: jumps are at least {MinBetweenJumps.TotalMinutes:0} min apart)" : "";
        var now = clock.GetUtcNow().ToOffset(Gateway.Domain.Calendar.ChinaTime.Offset);
        var from = Gateway.Domain.Calendar.ChinaTime.DateOf(now);
        var midnight = new DateTimeOffset(from.AddDays(1).ToDateTime(TimeOnly.MinValue), now.Offset);
        var to = midnight + TimeSpan.FromMinutes(5 + random.Next(25));
        var by = to - now;
        if (clock.Moved + by > MostMoved)
            return (false, $"already moved {clock.Moved.TotalHours:0.#} h: another {by.TotalHours:0.#} h would take the run past {MostMoved.TotalDays:0} days, where envelopes signed at its start would be stale");
        clock.Advance(by);
        return (true, $"clock {now:yyyy-MM-dd HH:mm} → {to:yyyy-MM-dd HH:mm} China time (+{by.TotalHours:0.0} h){Crossing(from, from.AddDays(1))}{wait}");
    }

    private DateTime _lastJump = DateTime.MinValue;
    internal static readonly TimeSpan MinBetweenJumps = TimeSpan.FromMinutes(4);

    /// <summary>Envelope freshness (FreshnessPast) is 7 days; the run's jumps stay a day under it.</summary>
    internal static readonly TimeSpan MostMoved = TimeSpan.FromDays(6);

    private static string Crossing(DateOnly from, DateOnly to)
    {
        var calendar = Gateway.Domain.Seeds.SeedLibrary.Calendar;
        string Kind(DateOnly d)
        {
            if (!calendar.Covers(d.Year)) return $"no official calendar for {d.Year} (weekends-only fallback)";
            var year = calendar.Years.First(y => y.Year == d.Year);
            if (year.Holidays.Contains(d)) return "a public holiday";
            if (year.AdjustedWorkingDays.Contains(d)) return "a weekend day worked in exchange";
            return calendar.IsWorkingDay(d) ? "a working day" : "a weekend day";
        }
        var yearEnd = from.Year != to.Year ? " across the year end;" : "";
        return $":{yearEnd} {from:MM-dd} was {Kind(from)}, {to:MM-dd} is {Kind(to)}";
    }

    private string? RedisEndpoint() => _cluster.Redis?.Endpoint ?? (_cluster.Options.UseRedis ? _cluster.Options.RedisEndpoint : null);

    /// <summary>pg_ctl restart (fast): the server the nodes share goes away and comes back on the same port.</summary>
    private async Task<string> RestartPostgresAsync(CancellationToken ct)
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin", "pg_ctl")).First(File.Exists);
        var data = _cluster.Postgres.DataDirectory;
        var args = new List<string> { "restart", "-D", data, "-m", "fast", "-w", "-t", "60", "-s", "-l", _cluster.Postgres.LogFile };
        var psi = Environment.UserName == "root" ? new ProcessStartInfo("runuser") : new ProcessStartInfo(bin);
        if (Environment.UserName == "root") foreach (var a in new[] { "-u", "postgres", "--", bin }) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardError = true;
        psi.RedirectStandardOutput = true;
        psi.UseShellExecute = false;
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0) throw new InvalidOperationException($"pg_ctl restart exited {process.ExitCode}: {await stderr}");
        return $"pg_ctl restart -m fast: back after {watch.Elapsed.TotalSeconds:0.0} s";
    }

    private KafkaOptions Kafka => KafkaOptions.ForEmbeddedBroker(_cluster.Broker.BootstrapServers, "harness-faults");

    /// <summary>The last few records of each partition of one inbox, produced again as they were (key, value, headers).</summary>
    private async Task<string> DuplicateAsync(string province, CancellationToken ct)
    {
        var topic = TopicNames.Inbox(province);
        var records = new List<Message<byte[], byte[]>>();
        using (var consumer = new ConsumerBuilder<byte[], byte[]>(Kafka.CreateConsumerConfig($"harness-dup-{Guid.NewGuid():N}")).Build())
        {
            for (var p = 0; p < _cluster.Options.InboxPartitions; p++)
            {
                var tp = new TopicPartition(topic, p);
                var marks = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10));
                if (marks.High.Value == 0) continue;
                consumer.Assign(new TopicPartitionOffset(tp, Math.Max(marks.Low.Value, marks.High.Value - 1 - random.Next(8))));
                var until = DateTime.UtcNow.AddSeconds(5);
                while (DateTime.UtcNow < until)
                {
                    var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
                    if (r is null || r.IsPartitionEOF) { if (r?.IsPartitionEOF == true) break; continue; }
                    records.Add(r.Message);
                    if (r.Offset.Value >= marks.High.Value - 1) break;
                }
            }
        }
        if (records.Count == 0) return $"{topic} is empty: nothing to duplicate yet";
        using var producer = new ProducerBuilder<byte[], byte[]>(Kafka.CreateProducerConfig()).Build();
        foreach (var m in records)
            await producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = m.Key, Value = m.Value, Headers = m.Headers }, ct);
        return $"{records.Count} record(s) of {topic} produced again (duplicates, arriving after newer ones)";
    }

    /// <summary>Garbage bytes, a signed envelope of an unknown type, and a withdrawal forged by a province not in the transfer.</summary>
    private async Task<string> PoisonAsync(string province, CancellationToken ct)
    {
        var sender = state.Scenario.Provinces.First(p => p != province);
        var stranger = _cluster.Options.DirectoryOnlyProvinces.FirstOrDefault();
        var garbage = System.Text.Encoding.UTF8.GetBytes($"harness poison {Guid.NewGuid():N}");
        var unknown = _cluster.Keys.Signed(Envelope(sender, province, "no-such-exchange", "FilingTeleported", ByteString.CopyFromUtf8("{}")));
        var list = new List<(string What, byte[] Bytes)> { ("garbage", garbage), ("unknown type", unknown) };
        if (stranger is not null)
        {
            // A withdrawal for a transfer the sender did not open: the trust rules refuse it (SENDER_MISMATCH).
            var transferId = $"{sender}T{Guid.NewGuid():N}";
            var payload = new WithdrawalRequested { TransferId = transferId, Reason = "forged", RequestedOn = Gateway.Domain.Calendar.ChinaTime.DateOf(_cluster.Time.GetUtcNow()).ToString("yyyy-MM-dd") };
            list.Add(("forged withdrawal", _cluster.Keys.Signed(Envelope(stranger, province, transferId, nameof(WithdrawalRequested), payload.ToByteString()))));
        }
        using var producer = new ProducerBuilder<string, byte[]>(Kafka.CreateProducerConfig()).Build();
        foreach (var (what, bytes) in list)
        {
            await producer.ProduceAsync(TopicNames.Inbox(province), new Message<string, byte[]> { Key = "harness-poison", Value = bytes }, ct);
            string? id = null;
            try { id = Gateway.Contracts.Exchange.V1.Envelope.Parser.ParseFrom(bytes).MessageId; } catch (InvalidProtocolBufferException) { }
            state.Injected.Enqueue(new InjectedEnvelope(province, what, bytes, string.IsNullOrEmpty(id) ? null : id));
        }
        return $"{string.Join(", ", list.Select(l => l.What))} on {TopicNames.Inbox(province)}";
    }

    private Envelope Envelope(string sender, string receiver, string correlation, string type, ByteString payload) => new()
    {
        MessageId = $"{sender}:{correlation}:harness:{Guid.NewGuid():N}",
        MessageType = type,
        SenderProvince = sender,
        ReceiverProvince = receiver,
        CorrelationId = correlation,
        SentAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(_cluster.Time.GetUtcNow()),
        SchemaVersion = "1.0",
        Payload = payload,
        Attempt = 1,
    };

    /// <summary>The province system's latest answers sent again on the unary call under new keys: the node must treat each as already answered.</summary>
    private async Task<(bool, string)> AnswerAgainAsync(string province, CancellationToken ct)
    {
        var node = _cluster[province];
        if (node.Simulator is not { } simulator) return (false, "no simulated province system at this node");
        var answered = simulator.AnsweredItems.TakeLast(5).ToList();
        if (answered.Count == 0) return (false, "the province system has answered nothing yet");
        var client = new WorkItemService.WorkItemServiceClient(node.Channel);
        int already = 0, other = 0;
        foreach (var a in answered)
        {
            try
            {
                var reply = await client.AnswerWorkItemAsync(a.Answer, new Grpc.Core.Metadata { { "idempotency-key", $"harness-again-{Guid.NewGuid():N}" } },
                    DateTime.UtcNow.AddSeconds(10), ct);
                if (reply.AlreadyAnswered) already++; else other++;
            }
            catch (Grpc.Core.RpcException) { other++; }
        }
        return (true, $"{answered.Count} answer(s) sent again: {already} already answered, {other} otherwise");
    }
}
