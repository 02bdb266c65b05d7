using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.Harness.BadInput;
using Gateway.ProvinceSimulator;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Gateway.Benchmarks;

/// <summary>What the hostile-calls phase did: calls by outcome, and whether the node still served afterwards.</summary>
public sealed record HostileResult(int Calls, TimeSpan Elapsed, IReadOnlyDictionary<string, int> ByKindAndStatus, int Unexpected,
    string? FirstUnexpected, int StreamResets, bool ServingAfter, long BytesSent, long AllocatedBytes, long PeakWorkingSetBytes, long PeakCommittedBytes, long PeakGen0BeforeGcBytes, GcActivity Gc);

/// <summary>
/// A few thousand malformed calls against one node, as a broken or hostile client would send them (the same
/// shapes as tests/Gateway.Node.Tests/MalformedBodyTests.cs and RequestBoundsTests.cs): strings just over and at
/// their limits, bodies just under and over the 256 KiB receive limit, huge ids, random garbage and deep
/// nesting through a raw byte marshaller. Every call must be refused (INVALID_ARGUMENT, RESOURCE_EXHAUSTED or
/// NOT_FOUND) and the node must keep serving; the point is what the process's memory looks like afterwards.
/// </summary>
public sealed class HostileCalls(GatewayCluster cluster, BenchmarkSettings settings, string target, DateOnly today)
{
    private const string Transfers = "gateway.transfer.v1.TransferService";
    private const string WorkItems = "gateway.transfer.v1.WorkItemService";
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);

    private sealed record Hostile(string Kind, string Service, string Method, byte[] Body, Metadata? Headers, StatusCode[] Expected);

    private List<Hostile> Build()
    {
        var noKey = (Metadata?)null;
        var invalid = new[] { StatusCode.InvalidArgument };
        // A valid application from the other province, with a name one over its limit (100): decoded, then refused by the bounds.
        var origin = cluster.Nodes.Keys.First(p => p != target);
        var person = cluster[origin].Registry.People[^1];
        var certificate = new ProvinceDocuments(cluster[origin].Registry.Profile).BuildCertificate(person, null, today);
        var application = new ProvinceDocuments(cluster[target].Registry.Profile).BuildSubmitApplication(certificate, today);
        application.Application.Person.PsnName = new string('张', 101);
        var nested = HostileBodies.Nested(200);
        var garbage = HostileBodies.Garbage(new Random(20261201), 512);
        var truncated = application.ToByteArray();
        return
        [
            new("id at its limit (64 chars), unknown", Transfers, "GetTransfer", new GetTransferRequest { TransferId = "51T" + new string('9', 61) }.ToByteArray(), noKey, [StatusCode.NotFound]),
            new("huge id (64 Ki chars)", Transfers, "GetTransfer", new GetTransferRequest { TransferId = new string('7', 64 * 1024) }.ToByteArray(), noKey, invalid),
            new("remarks just under the 256 KiB body limit", WorkItems, "AnswerWorkItem", new AnswerWorkItemRequest
            {
                ItemId = target + "Tnope:check-origin",
                OriginEnrolment = new OriginEnrolmentAnswer { Status = EnrolmentStatus.Suspended, Remarks = new string('备', 250_000 / 3) },
            }.ToByteArray(), TransferDriver.Key(), invalid),
            new("body over the 256 KiB limit (1.5 MiB)", Transfers, "GetTransfer", new GetTransferRequest { TransferId = new string('7', 1536 * 1024) }.ToByteArray(), noKey, [StatusCode.ResourceExhausted]),
            new("random garbage (512 B)", Transfers, "ListTransfers", garbage, noKey, invalid),
            new("groups nested 200 deep", Transfers, "GetTransfer", nested, noKey, invalid),
            new("application, name 101 chars", Transfers, "SubmitApplication", application.ToByteArray(), TransferDriver.Key(), invalid),
            new("application body cut in half", Transfers, "SubmitApplication", truncated[..(truncated.Length / 2)], TransferDriver.Key(), invalid),
            new("idempotency key 201 chars", Transfers, "GetTransfer", new GetTransferRequest { TransferId = "51Tnope" }.ToByteArray(), TransferDriver.Key(new string('k', 201)), invalid),
        ];
    }

    public async Task<HostileResult> RunAsync(CancellationToken ct)
    {
        var calls = Build();
        using var channel = GrpcChannel.ForAddress(cluster[target].Address, new GrpcChannelOptions { MaxReceiveMessageSize = 4 * 1024 * 1024 });
        var invoker = channel.CreateCallInvoker();
        var outcomes = new Dictionary<string, int>();
        var unexpected = 0;
        var resets = 0;
        string? firstUnexpected = null;
        long sent = 0, next = -1;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        await using var gc = GcActivityListener.Start();
        await using var peaks = MemoryPeakSampler.Start();

        async Task Worker()
        {
            long i;
            while ((i = Interlocked.Increment(ref next)) < settings.HostileCalls && !ct.IsCancellationRequested)
            {
                var h = calls[(int)(i % calls.Count)];
                Interlocked.Add(ref sent, h.Body.Length);
                StatusCode status;
                string? detail = null;
                try
                {
                    await invoker.AsyncUnaryCall(new Method<byte[], byte[]>(MethodType.Unary, h.Service, h.Method, Raw, Raw), null,
                        new CallOptions(h.Headers, DateTime.UtcNow.AddSeconds(30), cancellationToken: ct), h.Body).ResponseAsync;
                    status = StatusCode.OK;
                }
                catch (RpcException ex)
                {
                    status = ex.StatusCode;
                    detail = ex.Status.Detail;
                }
                lock (outcomes)
                {
                    // Kestrel resets streams of a connection that keeps it draining refused bodies: worth its own line.
                    var reset = detail?.Contains("ENHANCE_YOUR_CALM", StringComparison.Ordinal) == true;
                    var key = reset ? $"{h.Kind} → stream reset by the server (HTTP/2 ENHANCE_YOUR_CALM)" : $"{h.Kind} → {status}";
                    outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
                    if (reset) resets++;
                    else if (!h.Expected.Contains(status))
                    {
                        unexpected++;
                        firstUnexpected ??= $"{key}: {detail}";
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(_ => Task.Run(Worker, ct)));
        var elapsed = clock.Elapsed;
        var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
        var (peakWorkingSet, peakCommitted, peakGen0) = await peaks.StopAsync();
        var activity = await gc.StopAsync();
        var serving = false;
        try
        {
            var reply = await new Grpc.Health.V1.Health.HealthClient(cluster[target].Channel)
                .CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
            serving = reply.Status == Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving;
        }
        catch (RpcException) { }
        return new HostileResult(outcomes.Values.Sum(), elapsed, outcomes, unexpected, firstUnexpected, resets, serving, sent, allocated,
            peakWorkingSet, peakCommitted, peakGen0, activity);
    }
}
