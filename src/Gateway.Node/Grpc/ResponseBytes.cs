using System.Runtime.CompilerServices;
using Grpc.Core;

namespace Gateway.Node.Grpc;

/// <summary>
/// Responses whose protobuf bytes are already known (serialised once for the idempotency record, or read back from it).
/// The response marshaller writes those bytes instead of serialising the message again, so a replay answers with
/// exactly the bytes first stored. Entries live as long as their message (weak keys); a remembered message must not
/// be changed afterwards.
/// </summary>
public static class ResponseBytes
{
    private static readonly ConditionalWeakTable<object, byte[]> Known = new();

    public static void Remember(object message, byte[] bytes) => Known.AddOrUpdate(message, bytes);

    /// <summary>The method's response marshaller, writing remembered bytes as they are.</summary>
    internal static Marshaller<T> Reusing<T>(Marshaller<T> inner) where T : class =>
        new((message, context) =>
        {
            if (Known.TryGetValue(message, out var bytes))
                context.Complete(bytes);
            else
                inner.ContextualSerializer(message, context);
        }, inner.ContextualDeserializer);
}
