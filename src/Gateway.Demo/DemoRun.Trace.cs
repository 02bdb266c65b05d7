using System.Diagnostics;
using Gateway.Node.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Spectre.Console;

namespace Gateway.Demo;

/// <summary>
/// One transfer's trace as a tree, from OpenTelemetry's in-memory exporter: a process-wide provider sees every
/// in-process node's spans (the nodes themselves export only when an OTLP endpoint is configured, docs/operations.md).
/// </summary>
public sealed partial class DemoRun
{
    private readonly List<Activity> _spans = [];
    private TracerProvider? _traces;

    private TracerProvider Traces => _traces ??= Sdk.CreateTracerProviderBuilder()
        .AddSource(GatewayTelemetry.Name)
        .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/grpc.health.v1.Health"))
        .AddInMemoryExporter(_spans)
        .Build()!;

    /// <summary>Starts capturing spans; call before the transfers run.</summary>
    private void StartTraceCapture() => _ = Traces;

    /// <summary>Prints the first completed transfer's trace, waiting briefly for its last receipts, then stops capturing.</summary>
    private async Task PrintTraceAsync(IReadOnlyList<Outcome> results, CancellationToken ct)
    {
        using var provider = _traces;
        _traces = null;
        var transferId = results.FirstOrDefault(r => r.Destination.State == Gateway.Contracts.Transfer.V1.TransferState.Completed)?.Destination.TransferId;
        if (transferId is null) return;

        // Later envelopes (the last receipts) end after both sides are done: wait until the trace stops growing.
        List<Activity> trace = [];
        for (var (stable, until) = (0, DateTime.UtcNow.AddSeconds(10)); stable < 5 && DateTime.UtcNow < until; await Task.Delay(200, ct))
        {
            List<Activity> now;
            lock (_spans) now = [.. _spans];
            var letter = now.FirstOrDefault(s => s.DisplayName == "enqueue ContactLetterSent" && s.GetTagItem("gateway.correlation_id") as string == transferId);
            var next = letter is null ? [] : now.Where(s => s.TraceId == letter.TraceId).ToList();
            stable = next.Count == trace.Count && next.Count > 0 ? stable + 1 : 0;
            trace = next;
        }
        if (trace.Count == 0) return;

        var ids = trace.Select(s => s.SpanId).ToHashSet();
        var children = trace.ToLookup(s => ids.Contains(s.ParentSpanId) ? s.ParentSpanId : default);
        var start = trace.Min(s => s.StartTimeUtc);
        var tree = new Tree($"[bold]Trace of transfer {transferId}[/]  trace id {trace[0].TraceId}  ({trace.Count} spans, both provinces)");
        void Add(IHasTreeNodes parent, ActivitySpanId id)
        {
            foreach (var span in children[id].OrderBy(s => s.StartTimeUtc))
            {
                var province = span.GetTagItem(GatewayTelemetry.ProvinceTag) as string ?? "?";
                var at = (span.StartTimeUtc - start).TotalMilliseconds;
                var node = parent.AddNode(Markup.Escape($"{span.DisplayName}") +
                    $"  [dim]node {province} · {span.Kind} · +{at:N0} ms · {span.Duration.TotalMilliseconds:N1} ms[/]" +
                    (span.Status == ActivityStatusCode.Error ? "  [red]error[/]" : ""));
                Add(node, span.SpanId);
            }
        }
        Add(tree, default);
        AnsiConsole.Write(new Rule("[bold]One transfer, one trace across both provinces[/] (OpenTelemetry, in-memory exporter)").LeftJustified());
        AnsiConsole.Write(tree);
    }
}
