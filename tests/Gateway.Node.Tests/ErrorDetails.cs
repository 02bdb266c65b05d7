using Google.Rpc;
using Grpc.Core;

namespace Gateway.Node.Tests;

internal static class ErrorDetails
{
    public static string? Reason(RpcException ex) => ex.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason;

    /// <summary>A call acting for another province: PERMISSION_DENIED, NOT_THIS_PROVINCE, and the field that names it.</summary>
    public static void AssertNotThisProvince(RpcException ex, string field)
    {
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        var info = ex.GetRpcStatus()?.GetDetail<ErrorInfo>();
        Assert.Equal("NOT_THIS_PROVINCE", info?.Reason);
        Assert.Equal(field, info!.Metadata["field"]);
    }

    public static IReadOnlyList<string> Fields(RpcException ex) =>
        ex.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations.Select(v => v.Field).ToList() ?? [];
}
