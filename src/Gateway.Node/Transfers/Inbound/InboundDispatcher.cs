using Gateway.Contracts.Exchange.V1;
using Gateway.Node.Application;
using Google.Protobuf;
using Npgsql;

namespace Gateway.Node.Transfers.Inbound;

/// <summary>Applies one kind of inbound envelope inside the inbox's transaction. Never sees Kafka.</summary>
public interface IInboundHandler
{
    /// <summary>The payload message the envelope's message_type names, e.g. "ContactLetterSent".</summary>
    string MessageType { get; }

    Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, CancellationToken ct);
}

/// <summary>A handler for one payload type: parses it (a payload that does not parse is poison) and hands it on.</summary>
public abstract class InboundHandler<T> : IInboundHandler where T : IMessage<T>, new()
{
    private static readonly MessageParser<T> Parser = new(() => new T());

    public string MessageType { get; } = new T().Descriptor.Name;

    public Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, CancellationToken ct)
    {
        T message;
        try { message = Parser.ParseFrom(envelope.Payload); }
        catch (InvalidProtocolBufferException ex) { throw new PoisonMessageException($"{MessageType} payload is not valid: {ex.Message}"); }
        return HandleAsync(conn, tx, envelope, message, ct);
    }

    protected abstract Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, T message, CancellationToken ct);
}

/// <summary>Finds the handler for an envelope's message type; an unknown type is poison.</summary>
public sealed class InboundDispatcher(IEnumerable<IInboundHandler> handlers)
{
    private readonly Dictionary<string, IInboundHandler> _handlers = handlers.ToDictionary(h => h.MessageType, StringComparer.Ordinal);

    public Task DispatchAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, CancellationToken ct) =>
        _handlers.TryGetValue(envelope.MessageType, out var handler)
            ? handler.HandleAsync(conn, tx, envelope, ct)
            : throw new PoisonMessageException($"Unknown message type '{envelope.MessageType}'.");
}
