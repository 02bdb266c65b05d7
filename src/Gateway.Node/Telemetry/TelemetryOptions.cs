namespace Gateway.Node.Telemetry;

/// <summary>"Gateway:Telemetry:*" (docs/operations.md). Nothing is exported unless an OTLP endpoint is set.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Gateway:Telemetry";

    /// <summary>
    /// The OpenTelemetry collector's OTLP endpoint (e.g. http://otel-collector:4317 for grpc). Empty: the standard
    /// OTEL_EXPORTER_OTLP_ENDPOINT decides; neither set: no exporter at all.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>"grpc" (default) or "http/protobuf" for <see cref="OtlpEndpoint"/> (then the base URL, e.g. port 4318).</summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>How often the gauges' counts are read (outbox depth, work items waiting, inbox lag), while a reader collects them.</summary>
    public TimeSpan GaugeInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often overdue transfers are counted: computed from the calendar over up to 10,000 open transfers.</summary>
    public TimeSpan OverdueInterval { get; set; } = TimeSpan.FromMinutes(5);
}
