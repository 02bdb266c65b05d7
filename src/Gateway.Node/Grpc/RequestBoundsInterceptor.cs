using Gateway.Node.Application;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Gateway.Node.Grpc;

/// <summary>
/// Refuses a request outside <see cref="RequestBounds"/> before any handler (or service instance) runs.
/// Registered after <see cref="ErrorInterceptor"/>, so it runs inside it; it maps its own refusals through
/// <see cref="GatewayErrors.ToRpc"/>, so the status does not depend on how that interceptor evolves.
/// </summary>
public sealed class RequestBoundsInterceptor(ILogger<RequestBoundsInterceptor> logger) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(request, context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(request, context);
        return continuation(request, responseStream, context);
    }

    private void Check(object request, ServerCallContext context)
    {
        var violations = RequestBounds.Check(request as IMessage, context.RequestHeaders);
        if (violations.Count == 0) return;
        // Field paths only: the values may be huge or hostile and stay out of the log.
        logger.LogInformation("{Method} refused by request bounds: {Fields}", context.Method, string.Join(", ", violations.Select(v => v.Field)));
        throw GatewayErrors.ToRpc(new InvalidRequestException(violations));
    }
}
