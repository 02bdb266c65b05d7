using Grpc.Core;

namespace Gateway.Contracts;

/// <summary>gRPC status codes as the specification spells them (FAILED_PRECONDITION), for what operators read.</summary>
public static class StatusNames
{
    public static string Of(StatusCode code) => code switch
    {
        StatusCode.FailedPrecondition => "FAILED_PRECONDITION",
        StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        StatusCode.NotFound => "NOT_FOUND",
        StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        StatusCode.AlreadyExists => "ALREADY_EXISTS",
        StatusCode.PermissionDenied => "PERMISSION_DENIED",
        StatusCode.Unauthenticated => "UNAUTHENTICATED",
        _ => code.ToString().ToUpperInvariant(),
    };
}
