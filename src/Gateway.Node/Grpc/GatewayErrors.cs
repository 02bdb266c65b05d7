using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Gateway.Node.Application;
using Gateway.Storage;
using Grpc.Core;

namespace Gateway.Node.Grpc;

/// <summary>Maps the application's own exceptions to standard gRPC status codes with rich details, in one place.</summary>
public static class GatewayErrors
{
    /// <summary>The ErrorInfo domain every reason of this API belongs to.</summary>
    public const string ErrorDomain = "gateway.transfer.v1";

    public static RpcException ToRpc(Exception ex) => ex is RpcException rpc ? rpc : ToStatus(ex).ToRpcException();

    /// <summary>
    /// The node's own fault (database, configuration, a bug): what no mapping below claims. Such failures are logged as
    /// errors; anything a caller or an envelope can cause has its own, clearer code.
    /// </summary>
    public static bool IsNodeFault(Google.Rpc.Status status) => status.Code == (int)Code.Internal;

    public static bool IsNodeFault(RpcException rpc) => rpc.StatusCode == StatusCode.Internal;


    /// <summary>The status a call failing with <paramref name="ex"/> ends with; batch calls put it on the failed entry.</summary>
    public static Google.Rpc.Status ToStatus(Exception ex) => ex switch
    {
        RpcException rpc => rpc.GetRpcStatus() ?? new Google.Rpc.Status { Code = (int)rpc.StatusCode, Message = rpc.Status.Detail },
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
        ActingProvinceException acting => Build(Code.PermissionDenied, acting.Message, Any.Pack(new ErrorInfo
        {
            Reason = ActingProvinceException.Reason,
            Domain = ErrorDomain,
            Metadata = { ["field"] = acting.Field, ["node_province"] = acting.NodeProvince }
        })),
        CallerNotAllowedException caller => Build(Code.PermissionDenied, caller.Message, Any.Pack(new ErrorInfo
        {
            Reason = caller.Reason,
            Domain = ErrorDomain,
            Metadata = { new Dictionary<string, string>(caller.Metadata) }
        })),
        NotFoundException nf => Build(Code.NotFound, nf.Message),
        UnavailableException away => Build(Code.Unavailable, away.Message, Any.Pack(new ErrorInfo
        {
            Reason = away.Reason,
            Domain = ErrorDomain,
            Metadata = { new Dictionary<string, string>(away.Metadata) }
        })),
        EnvelopeTooLargeException big => Build(Code.FailedPrecondition, big.Message, Any.Pack(new ErrorInfo
        {
            Reason = "ENVELOPE_TOO_LARGE", Domain = ErrorDomain, Metadata = { ["message_type"] = big.MessageType }
        })),
        // A concurrent writer changed the same transfer: nothing was applied; the same idempotency key may be retried.
        StoreConflictException => Build(Code.Aborted, "Another call changed the same record at the same moment; nothing was applied. Retry with the same idempotency key."),
        OperationCanceledException => Build(Code.Cancelled, "The call was cancelled or its deadline passed."),
        // Outages: the call did not take effect and may be retried with the same idempotency key.
        Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException or TimeoutException
            => Build(Code.Unavailable, "The node's store of record is unavailable; retry with the same idempotency key."),
        Npgsql.NpgsqlException { IsTransient: true }
            => Build(Code.Unavailable, "The node's store of record is unavailable; retry with the same idempotency key."),
        _ => Build(Code.Internal, "The node could not complete the call; it was not applied unless a retry with the same idempotency key says otherwise.")
    };

    private static Google.Rpc.Status Build(Code code, string message, params Any[] details)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        status.Details.AddRange(details);
        return status;
    }
}
