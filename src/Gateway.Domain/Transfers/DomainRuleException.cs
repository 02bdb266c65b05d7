namespace Gateway.Domain.Transfers;

/// <summary>
/// A domain rule refused an operation. <see cref="Reason"/> is a stable code from <see cref="ReasonCodes"/>
/// for callers to map (e.g. to a gRPC status detail); the message is for people.
/// </summary>
public sealed class DomainRuleException(string reason, string message) : InvalidOperationException(message)
{
    public string Reason { get; } = reason;
}

/// <summary>Why an event would be refused, without throwing.</summary>
public sealed record TransferRefusal(string Reason, string Message)
{
    public DomainRuleException ToException() => new(Reason, Message);
}
