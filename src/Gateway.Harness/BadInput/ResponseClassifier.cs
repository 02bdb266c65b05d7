using Google.Rpc;
using Grpc.Core;
using Status = Google.Rpc.Status;

namespace Gateway.Harness.BadInput;

/// <summary>What the run expects of one input: to be refused with a clear status, or (an exact repeat) answered as the first time.</summary>
public enum Expectation
{
    Refused,
    Replayed,
}

/// <summary>An answer sorted into the histogram (<see cref="Label"/>), and why it is not allowed when it is not.</summary>
public sealed record Classification(string Label, string? Problem)
{
    public bool Allowed => Problem is null;
}

/// <summary>
/// Judges each answer. Allowed for bad input: INVALID_ARGUMENT with field violations, FAILED_PRECONDITION or
/// PERMISSION_DENIED with an ErrorInfo reason, NOT_FOUND, ALREADY_EXISTS, RESOURCE_EXHAUSTED; OK only for an exact
/// repeat of a call that was valid. Everything else (INTERNAL, UNKNOWN, an unexplained refusal, bad input accepted, a
/// message that echoes its input) is a violation.
/// </summary>
public static class ResponseClassifier
{
    /// <summary>A status message longer than this echoes the request back (oversized fields are 600+ characters).</summary>
    public const int MaxMessageLength = 4_000;

    /// <param name="status">The call's status; null when it answered OK.</param>
    /// <param name="alsoAllowed">Codes this particular input may also end with (a stream the server resets may read as CANCELLED).</param>
    public static Classification Classify(Expectation expected, Status? status, IReadOnlyCollection<StatusCode>? alsoAllowed = null)
    {
        if (status is null || status.Code == (int)StatusCode.OK)
            return new("OK", expected == Expectation.Replayed ? null : "bad input was accepted (OK)");
        var code = (StatusCode)status.Code;
        var reason = Detail<ErrorInfo>(status)?.Reason;
        var label = reason is { Length: > 0 } ? $"{Name(code)} {reason}" : Name(code);
        if (expected == Expectation.Replayed)
            return new(label, $"an exact repeat of a valid call was refused: {Name(code)} {Clip(status.Message)}");
        if (status.Message.Length > MaxMessageLength)
            return new(label, $"the status message echoes the input ({status.Message.Length} characters)");
        if (alsoAllowed?.Contains(code) == true) return new(label, null);
        return code switch
        {
            StatusCode.InvalidArgument => Detail<BadRequest>(status) is { FieldViolations.Count: > 0 }
                ? new(label, null) : new(label, "INVALID_ARGUMENT without field violations"),
            StatusCode.FailedPrecondition or StatusCode.PermissionDenied => reason is { Length: > 0 }
                ? new(label, null) : new(label, $"{Name(code)} without an ErrorInfo reason"),
            StatusCode.NotFound or StatusCode.AlreadyExists or StatusCode.ResourceExhausted => new(label, null),
            StatusCode.Internal or StatusCode.Unknown => new(label, $"forbidden status {Name(code)}: {Clip(status.Message)}"),
            _ => new(label, $"unexpected status {Name(code)}: {Clip(status.Message)}"),
        };
    }

    /// <summary>The status an RpcException carries: its rich details when it has them, else its code and message.</summary>
    public static Status StatusOf(RpcException ex) =>
        ex.GetRpcStatus() ?? new Status { Code = (int)ex.StatusCode, Message = ex.Status.Detail ?? "" };

    /// <summary>UPPER_SNAKE name of a code, as gRPC documents them.</summary>
    public static string Name(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        StatusCode.FailedPrecondition => "FAILED_PRECONDITION",
        StatusCode.PermissionDenied => "PERMISSION_DENIED",
        StatusCode.NotFound => "NOT_FOUND",
        StatusCode.AlreadyExists => "ALREADY_EXISTS",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        StatusCode.Unauthenticated => "UNAUTHENTICATED",
        StatusCode.OutOfRange => "OUT_OF_RANGE",
        StatusCode.DataLoss => "DATA_LOSS",
        _ => code.ToString().ToUpperInvariant(),
    };

    private static T? Detail<T>(Status status) where T : class, Google.Protobuf.IMessage<T>, new()
    {
        foreach (var any in status.Details)
            if (any.TryUnpack<T>(out var value)) return value;
        return null;
    }

    private static string Clip(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
