using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Gateway.Node.Grpc;

/// <summary>A request that names bad fields: becomes INVALID_ARGUMENT with BadRequest field violations.</summary>
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

/// <summary>Something the caller named does not exist.</summary>
public sealed class NotFoundException(string what) : Exception(what);

public static class GatewayErrors
{
    /// <summary>The ErrorInfo domain every reason of this API belongs to.</summary>
    public const string ErrorDomain = "gateway.transfer.v1";

    public static RpcException ToRpc(Exception ex) => ex switch
    {
        RpcException rpc => rpc,
        InvalidRequestException bad => Build(Code.InvalidArgument, bad.Message, Any.Pack(new BadRequest
        {
            FieldViolations =
            {
                bad.Violations.Select(v => new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Description })
            }
        })),
        RefusedException refused => Build(Code.FailedPrecondition, refused.Message, Any.Pack(new ErrorInfo
        {
            Reason = refused.Reason,
            Domain = ErrorDomain,
            Metadata = { new Dictionary<string, string>(refused.Metadata) }
        })),
        NotFoundException nf => Build(Code.NotFound, nf.Message),
        OperationCanceledException => Build(Code.Cancelled, "The call was cancelled or its deadline passed."),
        // Outages: the call did not take effect and may be retried with the same idempotency key.
        Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException or TimeoutException
            => Build(Code.Unavailable, "The node's store of record is unavailable; retry with the same idempotency key."),
        Npgsql.NpgsqlException { IsTransient: true }
            => Build(Code.Unavailable, "The node's store of record is unavailable; retry with the same idempotency key."),
        _ => Build(Code.Internal, "The node could not complete the call; it was not applied unless a retry with the same idempotency key says otherwise.")
    };

    private static RpcException Build(Code code, string message, params Any[] details)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        status.Details.AddRange(details);
        return status.ToRpcException();
    }
}
