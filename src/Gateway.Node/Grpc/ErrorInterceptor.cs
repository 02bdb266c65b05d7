using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Gateway.Node.Grpc;

/// <summary>Turns exceptions from handlers into standard status codes with rich details, in one place.</summary>
public sealed class ErrorInterceptor(ILogger<ErrorInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            if (ex is OperationCanceledException && context.CancellationToken.IsCancellationRequested) return;
            throw Map(ex, context);
        }
    }

    private RpcException Map(Exception ex, ServerCallContext context)
    {
        var rpc = ex is OperationCanceledException && context.Deadline <= DateTime.UtcNow
            ? new RpcException(new Status(StatusCode.DeadlineExceeded, "The caller's deadline passed before the node finished; nothing was committed unless a retry with the same idempotency key says otherwise."))
            : GatewayErrors.ToRpc(ex);
        if (GatewayErrors.IsNodeFault(rpc))
            logger.LogError(ex, "{Method} failed", context.Method);
        else
            logger.LogInformation("{Method} refused: {Status} {Message}", context.Method, rpc.StatusCode, ex.Message);
        return rpc;
    }
}
