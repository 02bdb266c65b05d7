using System.Diagnostics;
using Gateway.Contracts.Exchange.V1;
using Gateway.Harness;
using Gateway.Messaging.Signing;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Spectre.Console;

namespace Gateway.Benchmarks;

/// <summary>One algorithm's cost per envelope, one thread.</summary>
public sealed record SignatureCost(string Algorithm, int Envelopes, int EnvelopeBytes, double SignMicroseconds, double VerifyMicroseconds);

/// <summary>The burst and filing-apply figures of a cluster whose nodes neither sign nor verify, beside the run's own.</summary>
public sealed record SignaturesOffResult(IReadOnlyList<SignatureCost> Costs, IReadOnlyList<TransferPhaseResult> Burst, IReadOnlyList<SyncApplyResult> FilingApply);

/// <summary>
/// What signatures cost: sign and verify per envelope for every algorithm, then the same burst and filing apply as the
/// run's main cluster on a second cluster started with <c>Gateway:Signing:Disabled</c> (measurement only, embedded
/// broker only), so throughput with signatures on is set beside the same run with them off.
/// </summary>
public static class SignatureCostBenchmark
{
    private const string First = BenchmarkRun.First, Second = BenchmarkRun.Second;

    public static IReadOnlyList<SignatureCost> PerEnvelope(int envelopeBytes, int envelopes)
    {
        var payload = new byte[Math.Max(64, envelopeBytes - 200)];
        new Random(20261202).NextBytes(payload);
        var costs = new List<SignatureCost>();
        foreach (var algorithm in SignatureAlgorithms.All)
        {
            var pair = SignatureAlgorithms.Generate(algorithm);
            var envelope = new Envelope
            {
                MessageId = "51:51T0123456789abcdef0123456789abcdef:letter", MessageType = "ContactLetterSent", SenderProvince = "51",
                ReceiverProvince = "15", CorrelationId = "51T0123456789abcdef0123456789abcdef", CausationId = "call", SentAt = Timestamp.FromDateTime(DateTime.UtcNow),
                SchemaVersion = "1.0", Payload = ByteString.CopyFrom(payload), Signature = new Signature { Type = algorithm, KeyId = "bench" },
            };
            var signature = SignatureAlgorithms.Sign(algorithm, pair.Private, EnvelopeCanonicalForm.Of(envelope)); // warm-up
            SignatureAlgorithms.Verify(algorithm, pair.Public, EnvelopeCanonicalForm.Of(envelope), signature);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < envelopes; i++) signature = SignatureAlgorithms.Sign(algorithm, pair.Private, EnvelopeCanonicalForm.Of(envelope));
            var sign = clock.Elapsed.TotalMicroseconds / envelopes;
            clock.Restart();
            for (var i = 0; i < envelopes; i++)
                if (!SignatureAlgorithms.Verify(algorithm, pair.Public, EnvelopeCanonicalForm.Of(envelope), signature))
                    throw new InvalidOperationException($"{algorithm}: a signature did not verify");
            costs.Add(new SignatureCost(algorithm, envelopes, envelope.CalculateSize(), sign, clock.Elapsed.TotalMicroseconds / envelopes));
        }
        return costs;
    }

    public static async Task<SignaturesOffResult> RunAsync(BenchmarkSettings settings, int envelopeBytes, CancellationToken ct)
    {
        var costs = PerEnvelope(envelopeBytes, settings.Quick ? 100 : 400);
        foreach (var c in costs)
            AnsiConsole.MarkupLineInterpolated($"  {c.Algorithm}: sign {c.SignMicroseconds:N0} µs, verify {c.VerifyMicroseconds:N0} µs per {Format.Bytes(c.EnvelopeBytes)} envelope");

        var perOrigin = 20 / 2 + settings.Repeat * settings.Burst / 2 + 1;
        await using var cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = [First, Second], UseRedis = settings.UseRedis, PeoplePerProvince = (int)(perOrigin * 1.6) + 300,
            NodeSettings = new Dictionary<string, string>
            {
                ["Gateway:Signing:Disabled"] = "true",
                ["Logging:Console:FormatterName"] = "simple", ["Logging:Console:FormatterOptions:SingleLine"] = "true",
            },
        }, ct: ct);
        var today = TransferDriver.Today;
        var exchange = new TransferBenchmark(cluster, settings, First, Second, today);
        await exchange.RunBurstAsync(20, new UnaryTransferStarter(exchange.Driver), ct); // warm-up, as the main run does
        var starter = new BatchTransferStarter(exchange.Driver);
        var bursts = new List<TransferPhaseResult>();
        for (var r = 0; r < settings.Repeat; r++)
        {
            var burst = await exchange.RunBurstAsync(settings.Burst, starter, ct);
            bursts.Add(burst);
            AnsiConsole.MarkupLineInterpolated($"  signatures off: burst {burst.Completed}/{burst.Requested} in {burst.Makespan.TotalSeconds:N2} s ({Format.Rate(burst.TransfersPerSecond)})");
        }
        await using var sync = new RecordSyncBenchmark(cluster, settings, First, Second, today);
        var filings = new List<SyncApplyResult>();
        for (var r = 0; r < settings.Repeat; r++)
        {
            var f = await sync.FilingApplyAsync(ct);
            filings.Add(f);
            AnsiConsole.MarkupLineInterpolated($"  signatures off: {f.Applied:N0}/{f.Requested:N0} filings applied in {f.Elapsed.TotalSeconds:N2} s ({Format.Rate(f.PerSecond)})");
        }
        return new SignaturesOffResult(costs, bursts, filings);
    }
}
