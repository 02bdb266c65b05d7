using Gateway.Node.Exchange;
using Gateway.Storage;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Gateway.Node.Grpc;

/// <summary>
/// Publish on the committing path: the envelopes a unary call committed go to the producer as soon as the call's
/// transaction is durable, without a relay round trip. Rows of a failed or rolled-back attempt are never captured;
/// committed ones are handed off even when the call then answers with an error.
/// </summary>
public sealed class OutboxHandOffInterceptor(OutboxHandOff handOff) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        using var scope = OutboxCapture.Begin();
        try
        {
            return await continuation(request, context);
        }
        finally
        {
            if (scope.Capture.Committed.Count > 0) handOff.Offer(scope.Capture.Committed);
        }
    }
}
