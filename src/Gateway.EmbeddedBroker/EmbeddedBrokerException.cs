using Confluent.Kafka;

namespace Gateway.EmbeddedBroker;

/// <summary>A mock-cluster call or a broker-process command failed.</summary>
public sealed class EmbeddedBrokerException : Exception
{
    public EmbeddedBrokerException(string message, ErrorCode code = ErrorCode.Unknown)
        : base(message) => Code = code;

    /// <summary>The Kafka error the native call returned, or <see cref="ErrorCode.Unknown"/> when none applies.</summary>
    public ErrorCode Code { get; }
}
