using System.Diagnostics;
using Gateway.Node.Infrastructure;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Gateway.Node.Telemetry;

/// <summary>
/// Outermost interceptor: counts and times every call by method and the status it ends with (after ErrorInterceptor
/// mapped it), and tags the call's server span (ASP.NET Core's request activity) with the gRPC method, status and
/// province. OpenTelemetry's ASP.NET Core instrumentation names that span "POST /{service}/{method}" when it ends.
/// </summary>
public sealed class CallTelemetryInterceptor(NodeIdentity node) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var started = Begin(context);
        try
        {
            var response = await continuation(request, context);
            End(context, started, context.Status.StatusCode);
            return response;
        }
        catch (Exception ex)
        {
            End(context, started, StatusOf(ex, context));
            throw;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var started = Begin(context);
        try
        {
            await continuation(request, responseStream, context);
            End(context, started, context.Status.StatusCode);
        }
        catch (Exception ex)
        {
            End(context, started, StatusOf(ex, context));
            throw;
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var started = Begin(context);
        try
        {
            var response = await continuation(requestStream, context);
            End(context, started, context.Status.StatusCode);
            return response;
        }
        catch (Exception ex)
        {
            End(context, started, StatusOf(ex, context));
            throw;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var started = Begin(context);
        try
        {
            await continuation(requestStream, responseStream, context);
            End(context, started, context.Status.StatusCode);
        }
        catch (Exception ex)
        {
            End(context, started, StatusOf(ex, context));
            throw;
        }
    }

    private long Begin(ServerCallContext context)
    {
        if (Activity.Current is { IsAllDataRequested: true } span)
        {
            span.DisplayName = context.Method.TrimStart('/');
            span.SetTag("rpc.system", "grpc");
            span.SetTag("rpc.method", context.Method);
            span.SetTag(GatewayTelemetry.ProvinceTag, node.Province);
        }
        return Stopwatch.GetTimestamp();
    }

    private void End(ServerCallContext context, long started, StatusCode status)
    {
        if (Activity.Current is { IsAllDataRequested: true } span)
        {
            span.SetTag("rpc.grpc.status_code", (int)status);
        }
        if (!GatewayTelemetry.Calls.Enabled && !GatewayTelemetry.CallDuration.Enabled) return;
        var method = new KeyValuePair<string, object?>("rpc.method", context.Method);
        var code = new KeyValuePair<string, object?>("rpc.grpc.status_code", StatusName(status));
        var province = new KeyValuePair<string, object?>(GatewayTelemetry.ProvinceTag, node.Province);
        GatewayTelemetry.Calls.Add(1, method, code, province);
        GatewayTelemetry.CallDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, method, code, province);
    }

    private static StatusCode StatusOf(Exception ex, ServerCallContext context) => ex switch
    {
        RpcException rpc => rpc.StatusCode,
        OperationCanceledException when context.CancellationToken.IsCancellationRequested => StatusCode.Cancelled,
        _ => StatusCode.Unknown,
    };

    /// <summary>"OK", "INVALID_ARGUMENT", ... without allocating per call.</summary>
    private static string StatusName(StatusCode status) => (int)status is >= 0 and < 17 ? Names[(int)status] : status.ToString();

    private static readonly string[] Names =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
        "DATA_LOSS", "UNAUTHENTICATED",
    ];
}
