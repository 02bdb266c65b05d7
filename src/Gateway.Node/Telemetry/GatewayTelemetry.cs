using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Gateway.Contracts.Exchange.V1;

namespace Gateway.Node.Telemetry;

/// <summary>
/// The node's one ActivitySource and Meter ("Gateway.Node") and their instruments (docs/operations.md lists them).
/// Static, so the hot paths reach them without a service; every span and measurement carries <c>gateway.province</c>,
/// because an in-process cluster (tests, demo) runs several nodes on the same source and meter. Spans start only when a
/// listener wants them (<see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null otherwise), and
/// the trace-context work is skipped when nothing listens.
/// </summary>
public static class GatewayTelemetry
{
    public const string Name = "Gateway.Node";
    public const string ProvinceTag = "gateway.province";

    public static readonly ActivitySource Source = new(Name, typeof(GatewayTelemetry).Assembly.GetName().Version?.ToString());
    public static readonly Meter Meter = new(Name, typeof(GatewayTelemetry).Assembly.GetName().Version?.ToString());

    // Calls (Grpc/… through CallTelemetryInterceptor).
    public static readonly Counter<long> Calls = Meter.CreateCounter<long>("gateway.rpc.calls", "{call}",
        "gRPC calls served, by method and final status code.");
    public static readonly Histogram<double> CallDuration = Meter.CreateHistogram<double>("gateway.rpc.duration", "s",
        "Time to serve a gRPC call, by method and final status code (streams: until they end).");

    // Envelopes (relay, inbox).
    public static readonly Counter<long> EnvelopesSent = Meter.CreateCounter<long>("gateway.envelopes.sent", "{envelope}",
        "Envelopes the relay handed to Kafka, by message type and outcome (published, failed); re-sends included.");
    public static readonly Counter<long> EnvelopesResent = Meter.CreateCounter<long>("gateway.envelopes.resent", "{envelope}",
        "Envelopes published again because no receipt came (attempt 2 and later), by message type.");
    public static readonly Counter<long> ExchangesFailed = Meter.CreateCounter<long>("gateway.exchanges.failed", "{envelope}",
        "Envelopes whose retry budget ran out without a receipt (the exchange is failed for operators), by message type.");
    public static readonly Counter<long> EnvelopesReceived = Meter.CreateCounter<long>("gateway.envelopes.received", "{envelope}",
        "Inbound envelopes by message type and outcome (applied, duplicate, receipt, dead_lettered).");
    public static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>("gateway.dead_letters", "{envelope}",
        "Inbound records dead-lettered, by reason code.");
    public static readonly Histogram<double> InboxDelay = Meter.CreateHistogram<double>("gateway.inbox.delay", "s",
        "From an envelope's sent_at at the sender to its apply here, by message type.");
    public static readonly Counter<long> WorkItemsDelivered = Meter.CreateCounter<long>("gateway.work_items.delivered", "{item}",
        "Work items written to a province-system stream, by kind and first or repeated delivery.");

    // Gauges: the last values the sampler read (NodeGauges), reported when a reader collects.
    public static readonly ObservableGauge<long> OutboxDepth = Meter.CreateObservableGauge("gateway.outbox.depth", NodeGauges.OutboxDepth,
        "{envelope}", "Outbound envelopes not done, by status: pending (not yet published), awaiting_receipt, failed (budget spent).");
    public static readonly ObservableGauge<long> WorkItemsWaiting = Meter.CreateObservableGauge("gateway.work_items.waiting", NodeGauges.WorkItemsWaiting,
        "{item}", "Work items the province system has not answered, by kind.");
    public static readonly ObservableGauge<double> OldestWorkItem = Meter.CreateObservableGauge("gateway.work_items.oldest_age", NodeGauges.OldestWorkItem,
        "s", "Age of the oldest unanswered work item, by kind.");
    public static readonly ObservableGauge<long> OverdueTransfers = Meter.CreateObservableGauge("gateway.transfers.overdue", NodeGauges.OverdueTransfers,
        "{transfer}", "Open transfers with an overdue step, by step (a transfer counts once per overdue step).");
    public static readonly ObservableGauge<long> InboxLag = Meter.CreateObservableGauge("gateway.inbox.lag", NodeGauges.InboxLag,
        "{record}", "Records on this node's inbox partitions not yet consumed (high watermark - position, as librdkafka knows them).");

    /// <summary>True when a reader collects any gauge, so the sampler's queries run only then.</summary>
    public static bool GaugesWanted => OutboxDepth.Enabled || WorkItemsWaiting.Enabled || OldestWorkItem.Enabled || OverdueTransfers.Enabled || InboxLag.Enabled;

    private static readonly ConcurrentDictionary<(string, string), string> SpanNames = new();

    /// <summary>"enqueue ContactLetterSent": span names per operation and type, built once.</summary>
    public static string SpanName(string operation, string what) =>
        SpanNames.GetOrAdd((operation, what), static k => $"{k.Item1} {k.Item2}");

    /// <summary>W3C traceparent of the current span, or null when there is none (nothing listens).</summary>
    public static string? CurrentTraceParent() => Activity.Current is { IdFormat: ActivityIdFormat.W3C } a ? a.Id : null;

    /// <summary>
    /// Reads a carried trace context; a missing, malformed or oversized one is no context (tracing never refuses an
    /// envelope or a work item: the fields are not signed and only tracing reads them).
    /// </summary>
    public static ActivityContext ParentFrom(string? traceparent, string? tracestate = null)
    {
        if (string.IsNullOrEmpty(traceparent) || traceparent.Length > 128) return default;
        if (tracestate is { Length: > 512 }) tracestate = null;
        return ActivityContext.TryParse(traceparent, tracestate, isRemote: true, out var context) ? context : default;
    }

    /// <summary>
    /// The outbox-enqueue span (kind Producer, a child of the step's span): its context is what the envelope carries, so
    /// the receiver's apply and this node's publish are its children. Sets the envelope's trace fields; null when
    /// nothing listens, and then the envelope carries the current span's context if there is one.
    /// </summary>
    public static Activity? StartEnqueue(Envelope envelope, string topic)
    {
        if (!Source.HasListeners())
        {
            if (CurrentTraceParent() is { } current) envelope.Traceparent = current;
            return null;
        }
        var activity = Source.StartActivity(SpanName("enqueue", envelope.MessageType), ActivityKind.Producer);
        if (activity is null)
        {
            if (CurrentTraceParent() is { } current) envelope.Traceparent = current;
            return null;
        }
        activity.SetTag(ProvinceTag, envelope.SenderProvince);
        activity.SetTag("messaging.system", "kafka");
        activity.SetTag("messaging.operation.type", "create");
        activity.SetTag("messaging.destination.name", topic);
        activity.SetTag("messaging.message.id", envelope.MessageId);
        activity.SetTag("gateway.message_type", envelope.MessageType);
        activity.SetTag("gateway.receiver", envelope.ReceiverProvince);
        if (envelope.CorrelationId.Length > 0) activity.SetTag("gateway.correlation_id", envelope.CorrelationId);
        if (activity.IdFormat == ActivityIdFormat.W3C)
        {
            envelope.Traceparent = activity.Id!;
            if (activity.TraceStateString is { } state) envelope.Tracestate = state;
        }
        return activity;
    }

    /// <summary>The relay's publish of one outbox row (kind Producer), a child of the envelope's enqueue span.</summary>
    public static Activity? StartPublish(string province, string messageType, string messageId, string topic, int attempt, ReadOnlySpan<byte> envelopeBytes)
    {
        if (!Source.HasListeners()) return null;
        var (traceparent, tracestate) = EnvelopeTraceFields.Read(envelopeBytes);
        var activity = Source.StartActivity(SpanName("publish", messageType), ActivityKind.Producer, ParentFrom(traceparent, tracestate));
        if (activity is null) return null;
        activity.SetTag(ProvinceTag, province);
        activity.SetTag("messaging.system", "kafka");
        activity.SetTag("messaging.operation.type", "send");
        activity.SetTag("messaging.destination.name", topic);
        activity.SetTag("messaging.message.id", messageId);
        activity.SetTag("gateway.attempt", attempt);
        return activity;
    }

    /// <summary>The inbox's apply of one envelope (kind Consumer), a child of the sender's enqueue span.</summary>
    public static Activity? StartApply(string province, Envelope envelope)
    {
        if (!Source.HasListeners()) return null;
        var activity = Source.StartActivity(SpanName("apply", envelope.MessageType), ActivityKind.Consumer,
            ParentFrom(envelope.Traceparent, envelope.Tracestate));
        if (activity is null) return null;
        activity.SetTag(ProvinceTag, province);
        activity.SetTag("messaging.system", "kafka");
        activity.SetTag("messaging.operation.type", "process");
        activity.SetTag("messaging.message.id", envelope.MessageId);
        activity.SetTag("gateway.sender", envelope.SenderProvince);
        if (envelope.CorrelationId.Length > 0) activity.SetTag("gateway.correlation_id", envelope.CorrelationId);
        return activity;
    }

    /// <summary>
    /// A span continuing a stored context (the receipt of a batch, a work item pushed or answered), linked to the span
    /// current now (the inbox batch, the province system's stream or call) when that is another trace.
    /// </summary>
    public static Activity? StartContinuation(string name, ActivityKind kind, string province, ActivityContext parent)
    {
        if (!Source.HasListeners()) return null;
        var current = Activity.Current;
        ActivityLink[]? links = current is not null && parent != default && current.TraceId != parent.TraceId ? [new ActivityLink(current.Context)] : null;
        var activity = Source.StartActivity(name, kind, parent, tags: null, links: links);
        activity?.SetTag(ProvinceTag, province);
        return activity;
    }

    /// <summary>For an exception filter: marks the span failed and lets the exception pass (false).</summary>
    public static bool FailedFilter(Activity? activity, Exception ex)
    {
        Failed(activity, ex);
        return false;
    }

    /// <summary>Marks a span failed with the exception's type (never its message: it may hold personal data).</summary>
    public static void Failed(Activity? activity, Exception ex)
    {
        if (activity is null) return;
        activity.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
        activity.SetTag("error.type", ex.GetType().FullName);
    }
}
