using Google.Rpc;
using Grpc.Core;

namespace Gateway.Ops.Console;

/// <summary>What the node answered when it refused or could not be reached, as a readable page (never a stack trace).</summary>
public static class NodeErrors
{
    /// <summary>Runs a page; a refusal or an unreachable node becomes its own page with a fitting HTTP status.</summary>
    public static async Task<IResult> Guard(HttpContext ctx, Func<Task<IResult>> page)
    {
        try
        {
            return await page();
        }
        catch (RpcException rpc)
        {
            return Page(ctx, rpc);
        }
        catch (HttpRequestException http)
        {
            return Layout.Problem(ctx, StatusCodes.Status503ServiceUnavailable, "节点不可达 Node unreachable",
                [$"The console could not reach the node: {http.Message}", "Check that the node runs and that Console:Node (--node) names its gRPC address."]);
        }
    }

    public static IResult Page(HttpContext ctx, RpcException rpc)
    {
        var (status, title) = Classify(rpc);
        return Layout.Problem(ctx, status, title, Lines(rpc));
    }

    public static (int Status, string Title) Classify(RpcException rpc) => rpc.StatusCode switch
        {
            StatusCode.InvalidArgument => (StatusCodes.Status400BadRequest, "节点拒绝：输入有误 Refused: bad input"),
            StatusCode.FailedPrecondition => (StatusCodes.Status409Conflict, "节点拒绝：当前状态不允许 Refused: the state does not allow it"),
            StatusCode.NotFound => (StatusCodes.Status404NotFound, "未找到 Not found"),
            StatusCode.AlreadyExists => (StatusCodes.Status409Conflict, "已存在 Already exists"),
            StatusCode.ResourceExhausted => (StatusCodes.Status503ServiceUnavailable, "节点繁忙 Node busy"),
            StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled =>
                (StatusCodes.Status503ServiceUnavailable, "节点不可达 Node unreachable"),
            StatusCode.PermissionDenied or StatusCode.Unauthenticated => (StatusCodes.Status403Forbidden, "无权限 Not allowed"),
            _ => (StatusCodes.Status502BadGateway, "节点出错 The node failed"),
        };

    public static IEnumerable<string> Lines(RpcException rpc)
    {
        var lines = new List<string> { $"{Gateway.Contracts.StatusNames.Of(rpc.StatusCode)}: {rpc.Status.Detail}" };
        Google.Rpc.Status? status = null;
        try { status = rpc.GetRpcStatus(); } catch (Google.Protobuf.InvalidProtocolBufferException) { }
        if (status?.GetDetail<ErrorInfo>() is { } info)
        {
            lines.Add($"reason 原因: {info.Reason}");
            lines.AddRange(info.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}: {m.Value}"));
        }
        if (status?.GetDetail<BadRequest>() is { } bad)
            lines.AddRange(bad.FieldViolations.Select(v => $"field 字段 {v.Field}: {v.Description}"));
        if (rpc.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            lines.Add("Check that the node runs and that Console:Node (--node) names its gRPC address.");
        return lines;
    }
}
