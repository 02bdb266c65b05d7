using Gateway.Node.Application;
using Grpc.Core;

namespace Gateway.Node.Grpc;

/// <summary>
/// Ends the node's long-lived streams when the host starts to stop. Kestrel waits for open calls before the background
/// services stop, and a province system's subscription never ends by itself: without this, every stop waited out the
/// whole shutdown timeout, and the inbox loop and the relay were then abandoned while their Kafka clients were disposed.
/// </summary>
public sealed class StreamShutdown(IHostApplicationLifetime lifetime)
{
    public const string Reason = "NODE_STOPPING";

    /// <summary>A token that ends with the call or when the node starts to stop.</summary>
    public CancellationTokenSource Link(ServerCallContext context) =>
        CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);

    /// <summary>
    /// After a stream's loop ended on a linked token: UNAVAILABLE with <see cref="Reason"/> when the node is stopping
    /// and the client is still there, so it knows to subscribe again; nothing when the client left.
    /// </summary>
    public void ThrowIfStopping(ServerCallContext context)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
            throw GatewayErrors.ToRpc(new UnavailableException(Reason,
                "The node is shutting down; subscribe again, to another instance or to this one once it is back."));
    }
}
