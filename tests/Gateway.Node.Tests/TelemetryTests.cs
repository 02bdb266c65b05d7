using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using CsCheck;
using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.Node.Telemetry;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Gateway.Node.Tests;

/// <summary>
/// One transfer is one trace across both provinces, read from OpenTelemetry's in-memory exporter; the node's meter
/// reports envelopes sent, dead letters and the sampled gauges. The provider is process-wide (it sees every in-process
/// node, as the demo's does); spans are picked by the transfer's trace.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TelemetryTests(ClusterFixture fx)
{
    private const string Origin = "15", Destination = "51";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task One_transfer_is_one_trace_spanning_both_nodes_from_the_call_to_the_last_receipt()
    {
        var spans = new List<Activity>();
        using var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(GatewayTelemetry.Name)
            .AddAspNetCoreInstrumentation()
            .AddInMemoryExporter(spans)
            .Build();

        var person = fx.Driver.PickPerson(Origin, Gateway.ProvinceSimulator.EnrolmentState.Suspended);
        var (dest, orig) = await fx.Driver.RunAsync(Origin, Destination, person, ClusterFixture.Today, Timeout);
        Assert.Equal(TransferState.Completed, dest.State);
        Assert.Equal(TransferState.Acknowledged, orig.State);
        var transferId = dest.TransferId;

        // The letter's enqueue at the destination names the transfer; its trace is the transfer's.
        string[] expected =
        [
            $"{Destination} POST /gateway.transfer.v1.TransferService/SubmitApplication",
            $"{Destination} enqueue ContactLetterSent", $"{Destination} publish ContactLetterSent", $"{Origin} apply ContactLetterSent",
            $"{Origin} push CheckOriginEnrolment", $"{Origin} answer CheckOriginEnrolment",
            $"{Origin} push BuildInformationTable", $"{Origin} answer BuildInformationTable",
            $"{Origin} enqueue InformationTableSent", $"{Origin} publish InformationTableSent", $"{Destination} apply InformationTableSent",
            $"{Destination} push CreditBalance", $"{Destination} answer CreditBalance",
            $"{Destination} enqueue TransferCompleted", $"{Destination} publish TransferCompleted", $"{Origin} apply TransferCompleted",
            $"{Origin} push CloseOriginRecord",
            // Receipts travel back in the same trace: the origin acknowledges the letter, the destination the table.
            $"{Origin} send Receipt", $"{Destination} apply Receipt", $"{Destination} send Receipt", $"{Origin} apply Receipt",
        ];
        List<Activity> trace = [];
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            List<Activity> snapshot;
            lock (spans) snapshot = [.. spans];
            var letter = snapshot.FirstOrDefault(s => s.DisplayName == "enqueue ContactLetterSent" && Tag(s, "gateway.correlation_id") == transferId);
            if (letter is not null)
            {
                trace = snapshot.Where(s => s.TraceId == letter.TraceId).ToList();
                if (expected.All(e => trace.Any(s => Label(s) == e))) break;
            }
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Spans missing from the transfer's trace: {string.Join(", ", expected.Where(e => trace.All(s => Label(s) != e)))}; " +
                    $"it has: {string.Join(", ", trace.Select(Label).Distinct())}");
            await Task.Delay(100);
        }

        // One tree: its root is the destination's SubmitApplication call, and every other span's parent is in it.
        var ids = trace.Select(s => s.SpanId).ToHashSet();
        var roots = trace.Where(s => !ids.Contains(s.ParentSpanId)).ToList();
        var root = Assert.Single(roots);
        Assert.Equal($"{Destination} POST /gateway.transfer.v1.TransferService/SubmitApplication", Label(root));
        Assert.Equal(ActivityKind.Server, root.Kind);
        Assert.Equal((int)global::Grpc.Core.StatusCode.OK, root.GetTagItem("rpc.grpc.status_code"));

        // Kafka hops: the receiver's apply is a child of the sender's enqueue (the context the envelope carried).
        foreach (var type in new[] { "ContactLetterSent", "InformationTableSent", "TransferCompleted" })
        {
            var enqueue = trace.Single(s => s.DisplayName == $"enqueue {type}");
            var apply = trace.Single(s => s.DisplayName == $"apply {type}");
            var publish = trace.First(s => s.DisplayName == $"publish {type}");
            Assert.Equal(ActivityKind.Producer, enqueue.Kind);
            Assert.Equal(ActivityKind.Producer, publish.Kind);
            Assert.Equal(ActivityKind.Consumer, apply.Kind);
            Assert.Equal(enqueue.SpanId, apply.ParentSpanId);
            Assert.Equal(enqueue.SpanId, publish.ParentSpanId);
            Assert.NotEqual(Tag(enqueue, GatewayTelemetry.ProvinceTag), Tag(apply, GatewayTelemetry.ProvinceTag));
            Assert.Equal("applied", Tag(apply, "gateway.outcome"));
        }

        // A work item's push and answer continue the span that created it; the answer links the province system's call.
        var applyLetter = trace.Single(s => s.DisplayName == "apply ContactLetterSent");
        var check = trace.Single(s => s.DisplayName == "answer CheckOriginEnrolment");
        Assert.Equal(applyLetter.SpanId, check.ParentSpanId);
        Assert.Contains(trace, s => s.DisplayName == "push CheckOriginEnrolment" && s.ParentSpanId == applyLetter.SpanId);
        Assert.NotEmpty(check.Links);
        Assert.All(check.Links, l => Assert.NotEqual(check.TraceId, l.Context.TraceId));
        var table = trace.Single(s => s.DisplayName == "answer BuildInformationTable");
        Assert.Equal(check.SpanId, table.ParentSpanId); // the table item was created by the check's answer
        Assert.Equal(table.SpanId, trace.Single(s => s.DisplayName == "enqueue InformationTableSent").ParentSpanId);

        // Both provinces took part, and no span carries a person's identity number or name.
        Assert.Equal([Origin, Destination], trace.Select(s => Tag(s, GatewayTelemetry.ProvinceTag)).Distinct().Order());
        foreach (var span in trace)
        foreach (var tag in span.TagObjects)
        {
            Assert.DoesNotContain(person.IdentityNumber, tag.Value?.ToString() ?? "");
            Assert.DoesNotContain(person.Name, tag.Value?.ToString() ?? "");
        }
    }

    [Fact]
    public async Task The_meter_reports_envelopes_sent_dead_letters_and_the_sampled_gauges()
    {
        var measured = new ConcurrentBag<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GatewayTelemetry.Name) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measured.Add((i.Name, v, Tags(tags))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measured.Add((i.Name, v, Tags(tags))));
        listener.Start();

        var person = fx.Driver.PickPerson(Origin, Gateway.ProvinceSimulator.EnrolmentState.Suspended);
        var (dest, _) = await fx.Driver.RunAsync(Origin, Destination, person, ClusterFixture.Today, Timeout);
        Assert.Equal(TransferState.Completed, dest.State);
        var junk = new byte[] { 0xff, 0x01, 0x02 };
        await ProduceAsync(Origin, "telemetry-junk", junk);

        bool Has(string instrument, params (string Key, string Value)[] tags) =>
            measured.Any(m => m.Instrument == instrument && m.Value > 0 && tags.All(t => Equals(m.Tags.GetValueOrDefault(t.Key), t.Value)));
        var deadline = DateTime.UtcNow + Timeout;
        while (!(Has("gateway.dead_letters", ("gateway.reason", "UNREADABLE"), (GatewayTelemetry.ProvinceTag, Origin))
                 && Has("gateway.envelopes.received", ("gateway.message_type", "InformationTableSent"), ("gateway.outcome", "applied"), (GatewayTelemetry.ProvinceTag, Destination))))
        {
            Assert.True(DateTime.UtcNow < deadline, "the dead letter and the applied table were not counted in time");
            await Task.Delay(100);
        }
        Assert.True(Has("gateway.envelopes.sent", ("gateway.message_type", "ContactLetterSent"), ("gateway.outcome", "published"), (GatewayTelemetry.ProvinceTag, Destination)));
        Assert.True(Has("gateway.envelopes.sent", ("gateway.message_type", "Receipt"), ("gateway.outcome", "published"), (GatewayTelemetry.ProvinceTag, Origin)));
        Assert.True(Has("gateway.rpc.calls", ("rpc.method", "/gateway.transfer.v1.TransferService/SubmitApplication"),
            ("rpc.grpc.status_code", "OK"), (GatewayTelemetry.ProvinceTag, Destination)));
        Assert.True(Has("gateway.inbox.delay", (GatewayTelemetry.ProvinceTag, Origin)));

        // The gauges report what the sampler read (sampled now rather than after its interval).
        var sampler = fx.Cluster[Origin].Services!.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<TelemetrySampler>().Single();
        await sampler.SampleAsync(NodeGauges.Register(sampler, Origin), overdue: true, CancellationToken.None);
        measured.Clear();
        listener.RecordObservableInstruments();
        var depth = measured.Where(m => m.Instrument == "gateway.outbox.depth" && Equals(m.Tags[GatewayTelemetry.ProvinceTag], Origin)).ToList();
        Assert.Equal(["awaiting_receipt", "failed", "pending"], depth.Select(m => (string)m.Tags["gateway.outbox_status"]!).Order());
        Assert.Contains(measured, m => m.Instrument == "gateway.inbox.lag" && Equals(m.Tags[GatewayTelemetry.ProvinceTag], Origin) && m.Value >= 0);
    }

    [Fact]
    public void The_relay_reads_the_trace_fields_from_the_stored_bytes_as_protobuf_would()
    {
        var text = Gen.String[Gen.Char.AlphaNumeric, 0, 60];
        Gen.Select(text, text, Gen.Int[1, 9], Gen.Byte.Array[0, 300], Gen.Select(text, text)).Sample((traceparent, tracestate, attempt, payload, ids) =>
        {
            var envelope = new Envelope
            {
                MessageId = ids.Item1, MessageType = "ContactLetterSent", SenderProvince = "51", ReceiverProvince = "15", CorrelationId = ids.Item2,
                SentAt = Timestamp.FromDateTime(DateTime.UtcNow), SchemaVersion = "1.0", Payload = ByteString.CopyFrom(payload), Attempt = attempt,
                Signature = new Signature { Type = "SM2-SM3", KeyId = "k", Value = ByteString.CopyFrom(payload) },
                Traceparent = traceparent, Tracestate = tracestate,
            };
            var bytes = envelope.ToByteArray();
            var (p, s) = EnvelopeTraceFields.Read(bytes);
            Assert.Equal(traceparent, p ?? "");
            Assert.Equal(tracestate, s ?? "");
            // Cut anywhere, the bytes never throw; what is read is a prefix's fields or nothing.
            for (var cut = 0; cut < bytes.Length; cut += 7) EnvelopeTraceFields.Read(bytes.AsSpan(0, cut));
        }, iter: 200);
    }

    [Fact]
    public void A_carried_context_that_is_malformed_or_oversized_is_no_context()
    {
        var good = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", GatewayTelemetry.ParentFrom(good).TraceId.ToHexString());
        Assert.True(GatewayTelemetry.ParentFrom(good).IsRemote);
        Gen.String.Sample(junk =>
        {
            var context = GatewayTelemetry.ParentFrom(junk);
            Assert.True(context == default || junk.Length <= 128);
        }, iter: 500);
        Assert.Equal(default, GatewayTelemetry.ParentFrom(good + new string('0', 100)));
        Assert.Equal(default, GatewayTelemetry.ParentFrom(null));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", GatewayTelemetry.ParentFrom(good, new string('x', 600)).TraceId.ToHexString());
    }

    /// <summary>A record no node wrote, straight onto an inbox topic.</summary>
    private async Task ProduceAsync(string province, string key, byte[] value)
    {
        var options = Gateway.Messaging.KafkaOptions.ForEmbeddedBroker(fx.Cluster.Broker.BootstrapServers, "telemetry-tests");
        using var producer = new Confluent.Kafka.ProducerBuilder<string, byte[]>(options.CreateProducerConfig()).Build();
        var result = await producer.ProduceAsync(Gateway.Messaging.TopicNames.Inbox(province), new Confluent.Kafka.Message<string, byte[]> { Key = key, Value = value });
        Assert.Equal(Confluent.Kafka.PersistenceStatus.Persisted, result.Status);
    }

    [Fact]
    public void Nothing_is_exported_unless_an_otlp_endpoint_is_configured()
    {
        static IServiceProvider Build(params (string Key, string Value)[] settings)
        {
            var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder();
            builder.Configuration.Sources.Clear(); // not the machine's OTEL_* variables
            builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
            builder.AddGatewayTelemetry();
            return builder.Services.BuildServiceProvider();
        }

        Assert.Null(Build().GetService<TracerProvider>());
        Assert.Null(Build().GetService<OpenTelemetry.Metrics.MeterProvider>());
        using var configured = (ServiceProvider)Build(("Gateway:Province", "15"), ("Gateway:Telemetry:OtlpEndpoint", "http://127.0.0.1:1"));
        Assert.NotNull(configured.GetService<TracerProvider>());
        Assert.NotNull(configured.GetService<OpenTelemetry.Metrics.MeterProvider>());
        using var standard = (ServiceProvider)Build(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"));
        Assert.NotNull(standard.GetService<TracerProvider>());
        var refused = Assert.Throws<NodeConfigurationException>(() => Build(("Gateway:Telemetry:OtlpEndpoint", "http://127.0.0.1:1"),
            ("Gateway:Telemetry:OtlpProtocol", "carrier-pigeon")).GetService<TracerProvider>());
        Assert.Contains("OtlpProtocol", refused.Message);
    }

    private static string? Tag(Activity span, string key) => span.GetTagItem(key)?.ToString();

    private static string Label(Activity span) => $"{Tag(span, GatewayTelemetry.ProvinceTag)} {span.DisplayName}";

    private static Dictionary<string, object?> Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var d = new Dictionary<string, object?>();
        foreach (var t in tags) d[t.Key] = t.Value;
        return d;
    }
}
