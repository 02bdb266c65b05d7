using System.Diagnostics;
using Gateway.Contracts.Transfer.V1;
using Google.Protobuf;
using Grpc.Core;
using Npgsql;
using RpcStatus = Google.Rpc.Status;

namespace Gateway.Harness.BadInput;

/// <summary>
/// The bad-input run (issue 13): thousands of generated malformed or hostile requests against every mutating call of
/// the nodes, and garbage, forged and replayed envelopes on their inbox topics. Every answer must be a clear refusal
/// (OK only for an exact repeat of a valid call), every forged envelope a dead letter with its reason, every replay
/// deduplicated; no node may stop serving, and the business tables of every node must be as they were.
/// </summary>
/// <remarks>
/// The cluster must be otherwise idle: no workload while it runs. Province systems are paused for the run (so the
/// arena's open work item stays open) and resumed after. Needs at least two provinces; a directory-only province
/// (<see cref="ClusterOptions.DirectoryOnlyProvinces"/>) adds signed envelopes that break the trust rules.
/// </remarks>
public static class BadInputRun
{
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);

    public static async Task<BadInputReport> RunAsync(GatewayCluster cluster, BadInputOptions options, IProgress<BadInputProgress>? progress = null,
        CancellationToken ct = default)
    {
        if (cluster.Nodes.Count < 2) throw new ArgumentException("The bad-input run needs at least two provinces.", nameof(cluster));
        var provinces = cluster.Nodes.Keys.Order(StringComparer.Ordinal).ToList();
        var origin = options.Origin ?? cluster.Options.Provinces[0];
        var destination = options.Destination ?? cluster.Options.Provinces.First(p => p != origin);
        var report = new BadInputReport { Seed = options.Seed, Provinces = provinces };
        var clock = Stopwatch.StartNew();
        var simulators = cluster.Nodes.Values.Select(n => n.Simulator).Where(s => s is { IsPaused: false }).ToList();
        foreach (var s in simulators) s!.Pause();
        try
        {
            progress?.Report(new BadInputProgress("arena", 0, 1, 0));
            var arena = await BadInputArena.CreateAsync(cluster, origin, destination, ct);
            var before = await QuietDigestAsync(cluster, options.SettleTimeout, ct);

            var specs = CallCatalogue.Build(arena);
            // A mutating call added to the protos without a spec here is a gap in the run, reported as such.
            foreach (var missing in MutatingCalls.Except(specs.Select(s => s.Name)))
                report.Violation(new BadInputViolation(missing, "coverage", "-", "no generator covers this mutating call"), options.ViolationsKept);
            await SendRequestsAsync(cluster, specs, arena, options, report, progress, ct);
            if (report.Crashes.Count == 0) await SendEnvelopesAsync(cluster, arena, options, report, progress, ct);

            progress?.Report(new BadInputProgress("final digest", 0, 1, report.ViolationCount));
            await CheckServingAsync(cluster, report, "after the run", ct);
            var after = await QuietDigestAsync(cluster, options.SettleTimeout, ct);
            var differences = before.Differences(after);
            report.StateChanged = differences.Count > 0;
            report.StateDifferences.AddRange(differences);
        }
        finally
        {
            foreach (var s in simulators) s!.Resume();
        }
        report.Elapsed = clock.Elapsed;
        return report;
    }

    /// <summary>Every mutating call of the node's services ("TransferService.IssueCertificate", ...), from the service descriptors.</summary>
    public static IReadOnlyList<string> MutatingCalls { get; } = CallCatalogue.MutatingMethods().ToList();

    /// <summary>Classifies one answer into the report (exposed for the checker's own tests: it must be able to fail).</summary>
    public static Classification Record(BadInputReport report, string call, string category, string input, Expectation expected, RpcStatus? status,
        IReadOnlyCollection<StatusCode>? alsoAllowed = null, int keep = 20)
    {
        var c = ResponseClassifier.Classify(expected, status, alsoAllowed);
        report.Add(report.Statuses, c.Label);
        if (c.Problem is { } problem) report.Violation(new BadInputViolation(call, category, Clip(input), problem), keep);
        return c;
    }

    private static async Task SendRequestsAsync(GatewayCluster cluster, List<CallSpec> specs, BadInputArena arena, BadInputOptions options,
        BadInputReport report, IProgress<BadInputProgress>? progress, CancellationToken ct)
    {
        var generator = new RequestGenerator(specs, arena, options.Seed);
        var next = -1;
        var done = 0;
        var stop = false;

        async Task Worker()
        {
            int i;
            while (!stop && (i = Interlocked.Increment(ref next)) < options.Requests && !ct.IsCancellationRequested)
            {
                var request = generator.Generate(i);
                var (status, retries) = await SendAsync(cluster, request, ct);
                report.Add(report.RequestsByCall, request.Call);
                report.Add(report.RequestsByCategory, request.Category);
                if (retries > 0) lock (report) report.BusyRetries += retries;
                lock (report) report.RequestsTried++;
                Record(report, request.Call, request.Category, $"to {request.Province}: {request.What}", request.Expected, status, request.Allowed, options.ViolationsKept);
                var n = Interlocked.Increment(ref done);
                if (status?.Code == (int)StatusCode.Unavailable || n % 500 == 0)
                {
                    if (!await CheckServingAsync(cluster, report, $"after request {n} ({request.Call}, {request.Category})", ct)) stop = true;
                }
                if (n % 100 == 0) progress?.Report(new BadInputProgress("requests", n, options.Requests, report.ViolationCount));
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Max(1, options.Concurrency)).Select(_ => Task.Run(Worker, ct)));
        progress?.Report(new BadInputProgress("requests", done, options.Requests, report.ViolationCount));
    }

    /// <summary>Sends one request; retries NODE_BUSY as a well-behaved client does. Null status: OK.</summary>
    private static async Task<(RpcStatus? Status, int Retries)> SendAsync(GatewayCluster cluster, GeneratedRequest request, CancellationToken ct)
    {
        var node = cluster[request.Province];
        // A body over the limit may make the server reset the connection: on a channel of its own, so no other call sees it.
        using var own = request.OwnChannel
            ? cluster.Tls is { } tls ? ClusterTls.Channel(node.Address, tls.Client(Gateway.Node.Grpc.CallerRole.System, request.Province))
                : Grpc.Net.Client.GrpcChannel.ForAddress(node.Address)
            : null;
        var invoker = (own ?? node.Channel).CreateCallInvoker();
        for (var attempt = 0; ; attempt++)
        {
            RpcStatus? status;
            try
            {
                status = request.Spec.Shape == CallShape.StreamAnswer
                    ? await StreamAsync(invoker, request, ct)
                    : await UnaryAsync(invoker, request, ct);
            }
            catch (RpcException ex) when (ex.Status.DebugException is HttpRequestException or HttpProtocolException or IOException)
            {
                status = Reset(ex.Status.DebugException);
            }
            catch (RpcException ex)
            {
                status = ResponseClassifier.StatusOf(ex);
            }
            catch (Exception ex) when (ex is HttpRequestException or HttpProtocolException or IOException)
            {
                status = Reset(ex);
            }
            catch (InvalidProtocolBufferException ex)
            {
                status = new RpcStatus { Code = (int)StatusCode.Unknown, Message = $"the node's answer did not decode: {ex.Message}" };
            }
            var busy = status is { Code: (int)StatusCode.ResourceExhausted }
                       && status.Details.Any(d => d.Is(Google.Rpc.RetryInfo.Descriptor));
            if (!busy || attempt >= 30) return (status, attempt);
            var retry = status!.Details.First(d => d.Is(Google.Rpc.RetryInfo.Descriptor)).Unpack<Google.Rpc.RetryInfo>();
            var delay = retry.RetryDelay?.ToTimeSpan() ?? TimeSpan.FromMilliseconds(100);
            await Task.Delay(delay < TimeSpan.FromMilliseconds(20) ? TimeSpan.FromMilliseconds(20) : delay, ct);
        }
    }

    /// <summary>
    /// The client saw the server reset the stream or close the connection (HTTP/2 RST_STREAM / GOAWAY) rather than a gRPC
    /// status: CANCELLED here, allowed only for a body over the limit, a violation for anything else.
    /// </summary>
    private static RpcStatus Reset(Exception? transport) =>
        new() { Code = (int)StatusCode.Cancelled, Message = $"the server reset the call: {transport?.GetType().Name} {transport?.Message}" };

    private static async Task<RpcStatus?> UnaryAsync(CallInvoker invoker, GeneratedRequest request, CancellationToken ct)
    {
        var method = new Method<byte[], byte[]>(MethodType.Unary, request.Spec.Service, request.Spec.Method, Raw, Raw);
        var response = await invoker.AsyncUnaryCall(method, null, new CallOptions(request.Headers, DateTime.UtcNow.AddSeconds(30), cancellationToken: ct), request.Body);
        // A batch answers OK with a result per entry: the entry's error is the answer to judge.
        return request.Spec.Shape == CallShape.Batch ? request.Spec.Unwrap!(response) : null;
    }

    /// <summary>Subscribes, sends the answer (or the raw bytes), and reads until the answer's result or the stream's end.</summary>
    private static async Task<RpcStatus?> StreamAsync(CallInvoker invoker, GeneratedRequest request, CancellationToken ct)
    {
        var method = new Method<byte[], byte[]>(MethodType.DuplexStreaming, request.Spec.Service, request.Spec.Method, Raw, Raw);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        using var call = invoker.AsyncDuplexStreamingCall(method, null, new CallOptions(request.Headers, cancellationToken: deadline.Token));
        await call.RequestStream.WriteAsync(new WorkItemClientMessage { Subscribe = new SubscribeWorkItemsRequest { Subscriber = "bad-input" } }.ToByteArray(), deadline.Token);
        await call.RequestStream.WriteAsync(request.Body, deadline.Token);
        while (await call.ResponseStream.MoveNext(deadline.Token))
        {
            var message = WorkItemServerMessage.Parser.ParseFrom(call.ResponseStream.Current);
            if (message.Result is { } result) return result.Error;
        }
        return new RpcStatus { Code = (int)StatusCode.Unknown, Message = "the stream ended without the answer's result" };
    }

    private static async Task SendEnvelopesAsync(GatewayCluster cluster, BadInputArena arena, BadInputOptions options, BadInputReport report,
        IProgress<BadInputProgress>? progress, CancellationToken ct)
    {
        if (options.Envelopes <= 0) return;
        var attacks = new EnvelopeAttacks(cluster, arena, options.Seed);
        var envelopes = await attacks.BuildAsync(options.Envelopes, ct);
        progress?.Report(new BadInputProgress("envelopes", 0, envelopes.Count, report.ViolationCount));
        var (landed, sentinels) = await attacks.ProduceAsync(envelopes, ct);
        report.EnvelopesTried = landed.Count;
        foreach (var l in landed) report.Add(report.EnvelopesByCategory, l.Envelope.Category);

        // Each partition is read in order: once its sentinel is a dead letter, every record before it was dealt with.
        var until = DateTime.UtcNow + options.SettleTimeout;
        Dictionary<(string, int, long), string> dead;
        while (true)
        {
            dead = await DeadLettersAsync(cluster, landed.Concat(sentinels), ct);
            var waiting = sentinels.Count(s => !dead.ContainsKey((s.Topic, s.Partition, s.Offset)));
            progress?.Report(new BadInputProgress("envelopes", landed.Count - waiting, landed.Count, report.ViolationCount));
            if (waiting == 0) break;
            if (DateTime.UtcNow > until)
            {
                report.Violation(new BadInputViolation("inbox", "sentinel", $"{waiting} partitions",
                    $"{waiting} inbox partitions were not read to their end within {options.SettleTimeout.TotalSeconds:0} s"), options.ViolationsKept);
                break;
            }
            await Task.Delay(250, ct);
        }
        foreach (var l in landed)
        {
            var e = l.Envelope;
            var found = dead.TryGetValue((l.Topic, l.Partition, l.Offset), out var reason);
            if (found) report.Add(report.DeadLetterReasons, ReasonCode(reason!));
            var outcome = (e.Replay, found) switch
            {
                (false, true) => "dead-lettered with a reason",
                (true, false) => "ignored as a duplicate",
                (false, false) => "NOT dead-lettered",
                (true, true) => "replay dead-lettered",
            };
            report.Add(report.EnvelopeOutcomes, outcome);
            if (e.Replay == found)
                report.Violation(new BadInputViolation($"inbox {e.Receiver}", e.Category, e.What,
                    e.Replay ? $"a replay of an applied envelope was dead-lettered: {reason}" : "the envelope was neither dead-lettered nor refused"), options.ViolationsKept);
        }
    }

    /// <summary>The dead-letter reason at each position the run wrote to, where there is one.</summary>
    private static async Task<Dictionary<(string, int, long), string>> DeadLettersAsync(GatewayCluster cluster, IEnumerable<Landed> landed, CancellationToken ct)
    {
        var result = new Dictionary<(string, int, long), string>();
        foreach (var group in landed.GroupBy(l => l.Envelope.Receiver))
        {
            await using var conn = new NpgsqlConnection(cluster[group.Key].ConnectionString);
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand(
                "SELECT topic, partition, \"offset\", reason FROM dead_letters WHERE topic = @t AND \"offset\" >= @from", conn);
            cmd.Parameters.AddWithValue("t", group.First().Topic);
            cmd.Parameters.AddWithValue("from", group.Min(l => l.Offset));
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) result[(reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2))] = reader.GetString(3);
        }
        return result;
    }

    /// <summary>The reason's code ("SIGNATURE_INVALID: ..." → SIGNATURE_INVALID), or its opening words.</summary>
    internal static string ReasonCode(string reason)
    {
        var colon = reason.IndexOf(':');
        var head = colon > 0 ? reason[..colon] : reason;
        if (head.Length > 0 && head.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_')) return head;
        return head.Length <= 60 ? head : head[..60] + "…";
    }

    /// <summary>Health of every node; a node not serving (or whose process exited) is a crash.</summary>
    private static async Task<bool> CheckServingAsync(GatewayCluster cluster, BadInputReport report, string when, CancellationToken ct)
    {
        var ok = true;
        foreach (var (province, node) in cluster.Nodes)
        {
            string? problem = null;
            if (!node.IsRunning) problem = "its process exited";
            else
            {
                try
                {
                    var reply = await new Grpc.Health.V1.Health.HealthClient(node.Channel).CheckAsync(new Grpc.Health.V1.HealthCheckRequest(),
                        deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
                    if (reply.Status != Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving) problem = $"health says {reply.Status}";
                }
                catch (RpcException ex)
                {
                    problem = $"health check failed: {ex.StatusCode}";
                }
            }
            if (problem is null) continue;
            ok = false;
            lock (report)
                if (!report.Crashes.Any(c => c.StartsWith($"node {province} ", StringComparison.Ordinal)))
                    report.Crashes.Add($"node {province} {when}: {problem}");
        }
        return ok;
    }

    /// <summary>Digests until two in a row, a second apart, agree: the arena's envelopes and receipts have settled.</summary>
    private static async Task<StateDigest> QuietDigestAsync(GatewayCluster cluster, TimeSpan timeout, CancellationToken ct)
    {
        var until = DateTime.UtcNow + timeout;
        var last = await StateDigest.TakeAsync(cluster, ct);
        for (var stable = 0; stable < 2 && DateTime.UtcNow < until;)
        {
            await Task.Delay(1_000, ct);
            var now = await StateDigest.TakeAsync(cluster, ct);
            stable = now.Differences(last).Count == 0 ? stable + 1 : 0;
            last = now;
        }
        return last;
    }

    private static string Clip(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
