using Gateway.Node.Grpc;
using Gateway.Node.Infrastructure;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Gateway.Node.Telemetry;

/// <summary>
/// Traces, metrics and logs of one node (docs/operations.md). Always: log scopes carry the trace and span ids, and the
/// gauge sampler runs (idle until a reader collects). Exported by OTLP only when <c>Gateway:Telemetry:OtlpEndpoint</c>
/// or <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; otherwise no OpenTelemetry SDK is registered at all, and the spans and
/// instruments cost nothing (a process-wide listener, as the tests and the demo add, still sees them).
/// </summary>
public static class TelemetryRegistration
{
    public const string ServiceName = "gateway-node";

    /// <summary>Meters exported besides the node's own: Npgsql's pool and commands, ASP.NET Core's and Kestrel's.</summary>
    public static readonly string[] Meters = [GatewayTelemetry.Name, "Npgsql", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel"];

    public static void AddGatewayTelemetry(this WebApplicationBuilder builder)
    {
        builder.Logging.Configure(o => o.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        var section = builder.Configuration.GetSection(TelemetryOptions.Section);
        builder.Services.AddOptions<TelemetryOptions>().Bind(section);
        builder.Services.AddHostedService<TelemetrySampler>();

        var options = new TelemetryOptions();
        section.Bind(options);
        var standard = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(options.OtlpEndpoint) && string.IsNullOrWhiteSpace(standard)) return;

        var province = builder.Configuration[$"{NodeOptions.Section}:{nameof(NodeOptions.Province)}"]?.Trim() ?? "";
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r
                .AddService(ServiceName, serviceInstanceId: $"{province}-{Environment.MachineName}-{Environment.ProcessId}")
                .AddAttributes([new(GatewayTelemetry.ProvinceTag, province)]))
            .WithTracing(t => t
                .AddSource(GatewayTelemetry.Name)
                // Probes answer every few seconds: not worth a trace each.
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/grpc.health.v1.Health")))
            .WithMetrics(m => m.AddMeter(Meters))
            .WithLogging();
        if (string.IsNullOrWhiteSpace(options.OtlpEndpoint))
            otel.UseOtlpExporter(); // the standard OTEL_EXPORTER_OTLP_* variables decide endpoint, protocol and headers
        else
            otel.UseOtlpExporter(Protocol(options.OtlpProtocol), new Uri(options.OtlpEndpoint));
    }

    private static OtlpExportProtocol Protocol(string name) => name.Trim().ToLowerInvariant() switch
    {
        "grpc" or "" => OtlpExportProtocol.Grpc,
        "http/protobuf" or "http" => OtlpExportProtocol.HttpProtobuf,
        _ => throw new NodeConfigurationException($"Gateway:Telemetry:OtlpProtocol '{name}' is neither grpc nor http/protobuf."),
    };
}
