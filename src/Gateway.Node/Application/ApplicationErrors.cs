namespace Gateway.Node.Application;

// The application's own failures. Handlers throw these and never see transport types:
// the gRPC interceptor maps the call-side ones to status codes, the inbox maps the envelope-side ones to dead letters.

/// <summary>A request that names bad fields: INVALID_ARGUMENT with BadRequest field violations.</summary>
public sealed class InvalidRequestException(IReadOnlyList<(string Field, string Description)> violations)
    : Exception("The request has invalid fields: " + string.Join(", ", violations.Select(v => v.Field)))
{
    public IReadOnlyList<(string Field, string Description)> Violations { get; } = violations;

    public static InvalidRequestException Single(string field, string description) => new([(field, description)]);
}

/// <summary>A request refused by a rule of the protocol: FAILED_PRECONDITION with a machine-readable reason.</summary>
public sealed class RefusedException(string reason, string message, IReadOnlyDictionary<string, string>? metadata = null)
    : Exception(message)
{
    public string Reason { get; } = reason;
    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata ?? new Dictionary<string, string>();
}

/// <summary>
/// A call that would act for another province (its documents name another province's agency or region as the acting
/// one): PERMISSION_DENIED with reason NOT_THIS_PROVINCE and the field that names it. Only well-formed requests get
/// this far; bad fields are INVALID_ARGUMENT first.
/// </summary>
public sealed class ActingProvinceException(string field, string nodeProvince, string message) : Exception(message)
{
    public const string Reason = "NOT_THIS_PROVINCE";
    public string Field { get; } = field;
    public string NodeProvince { get; } = nodeProvince;
}

/// <summary>Something the caller named does not exist.</summary>
public sealed class NotFoundException(string what) : Exception(what);

/// <summary>
/// An inbound envelope that can never be applied (unreadable, misrouted, refused by the protocol). It is dead-lettered
/// and, because its sender is the exchange's real counterpart, answered with a rejection so the sender stops re-sending.
/// </summary>
public class PoisonMessageException(string reason) : Exception(reason);

/// <summary>
/// An envelope that acts outside its own exchange (a sender that is not the counterpart, a receipt for another
/// province's envelope). Dead-lettered and never answered: the province it names may not have sent it at all.
/// </summary>
public sealed class UntrustedEnvelopeException(string code, string reason) : PoisonMessageException($"{code}: {reason}")
{
    public string Code { get; } = code;
}

/// <summary>An envelope would exceed what the producer and the receiver accept.</summary>
public sealed class EnvelopeTooLargeException(string messageType, int bytes, int max)
    : Exception($"A {messageType} envelope of {bytes} bytes exceeds the {max}-byte limit.")
{
    public string MessageType { get; } = messageType;
}


/// <summary>
/// Another node this call depends on did not answer in time: UNAVAILABLE with a machine-readable reason. Nothing was
/// changed; the call may be repeated.
/// </summary>
public sealed class UnavailableException(string reason, string message, IReadOnlyDictionary<string, string>? metadata = null)
    : Exception(message)
{
    public string Reason { get; } = reason;
    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata ?? new Dictionary<string, string>();
}
