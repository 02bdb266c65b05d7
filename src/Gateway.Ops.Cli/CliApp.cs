using System.CommandLine;
using Gateway.Contracts.Ops.V1;
using Google.Rpc;
using Grpc.Core;
using Spectre.Console;

namespace Gateway.Ops.Cli;

/// <summary>The `gateway-ops` command line: parses, runs one command against one node's OpsService, maps the outcome to an exit code.</summary>
public static class CliApp
{
    public static Task<int> RunAsync(string[] args, TextWriter output, CancellationToken ct = default) =>
        RunAsync(args, output, output, Environment.GetEnvironmentVariable, ct);

    /// <param name="env">Environment lookup ($GATEWAY_OPS_NODE, $USER, $HOME), injectable for tests.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Func<string, string?> env, CancellationToken ct = default)
    {
        var globals = new GlobalOptions();
        var root = BuildRoot(globals, output, error, env);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) await error.WriteLineAsync(e.Message);
            await error.WriteLineAsync("Run 'gateway-ops --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, ct);
        }
        catch (UsageException usage)
        {
            await error.WriteLineAsync(usage.Message);
            return ExitCodes.Usage;
        }
        catch (RpcException rpc)
        {
            return await ReportAsync(rpc, error);
        }
        catch (HttpRequestException http)
        {
            await error.WriteLineAsync($"unreachable: {http.Message}");
            return ExitCodes.Unreachable;
        }
    }

    internal static RootCommand BuildRoot(GlobalOptions globals, TextWriter output, TextWriter error, Func<string, string?> env)
    {
        var root = new RootCommand($"""
            Operators' command line for one gateway node's ops service (gateway.ops.v1.OpsService):
            what is stuck, failed, dead-lettered or overdue, one exchange's story, the audit trail, and the replay actions.
            The node: --node http://host:port, else ${NodeTarget.EnvironmentVariable}, else {"{\"node\": \"...\"}"} in ~/.config/gateway-ops.json (or --config).
            A TLS node: --node https://host:port with --cert/--cert-key (an operator's or auditor's certificate) and --ca, or "cert", "key", "ca" in the config file.

            {ExitCodes.Help}
            """);
        globals.AddTo(root);
        var factory = new SessionFactory(globals, output, error, env);
        foreach (var command in QueryCommands.Build(factory)) root.Subcommands.Add(command);
        foreach (var command in ActionCommands.Build(factory)) root.Subcommands.Add(command);
        root.Subcommands.Add(VerifyLogCommand.Build(factory));
        foreach (var command in ExportLogCommands.Build(factory)) root.Subcommands.Add(command);
        return root;
    }

    internal static async Task<int> ReportAsync(RpcException rpc, TextWriter error)
    {
        if (TlsFailure(rpc) is { } tls)
        {
            await error.WriteLineAsync($"unreachable: the TLS handshake with the node failed: {tls.Message}");
            await error.WriteLineAsync("  check --ca (the CA of the node's certificate) and --cert/--cert-key (a client certificate from the node's client CA).");
            return ExitCodes.Unreachable;
        }
        var code = rpc.StatusCode switch
        {
            StatusCode.FailedPrecondition or StatusCode.InvalidArgument or StatusCode.NotFound
                or StatusCode.PermissionDenied or StatusCode.Unauthenticated => ExitCodes.Refused,
            StatusCode.Unavailable or StatusCode.DeadlineExceeded => ExitCodes.Unreachable,
            _ => ExitCodes.Other,
        };
        var label = code switch { ExitCodes.Refused => "refused", ExitCodes.Unreachable => "unreachable", _ => "failed" };
        await error.WriteLineAsync($"{label}: {Gateway.Contracts.StatusNames.Of(rpc.StatusCode)}: {rpc.Status.Detail}");
        var status = rpc.GetRpcStatus();
        if (status?.GetDetail<ErrorInfo>() is { } info)
        {
            await error.WriteLineAsync($"reason: {info.Reason}");
            foreach (var (k, v) in info.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal)) await error.WriteLineAsync($"  {k}: {v}");
        }
        if (status?.GetDetail<BadRequest>() is { } bad)
            foreach (var v in bad.FieldViolations) await error.WriteLineAsync($"field {v.Field}: {v.Description}");
        return code;
    }

    /// <summary>
    /// The handshake's own failure, when the call failed in it: the node's certificate is not trusted (the client's
    /// AuthenticationException), or the node closed the new connection before HTTP/2 began (under TLS 1.3 that is how
    /// a client certificate it does not accept shows).
    /// </summary>
    /// <summary>Reset (an I/O error or ConnectionReset), not refused or unresolved: the node is up and ended the set-up.</summary>
    private static bool ResetInSetUp(HttpRequestException http)
    {
        var resets = false;
        for (Exception? e = http.InnerException; e is not null; e = e.InnerException)
            switch (e)
            {
                case System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionReset or System.Net.Sockets.SocketError.ConnectionAborted }:
                    resets = true; break;
                case System.Net.Sockets.SocketException:
                    return false; // refused, unreachable, unknown host: the node is not there
                case IOException:
                    resets = true; break;
            }
        return resets;
    }

    private static Exception? TlsFailure(RpcException rpc)
    {
        // Only the client's own transport failures carry a DebugException; a status the node sent never does.
        if (rpc.Status.DebugException is null) return null;
        for (var ex = rpc.Status.DebugException; ex is not null; ex = ex.InnerException)
        {
            if (ex is System.Security.Authentication.AuthenticationException) return ex;
            if (ex is HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded or HttpRequestError.SecureConnectionError } http)
                return new InvalidOperationException($"the node closed the connection before answering ({http.Message}); it may not accept this client certificate");
            // A reset while the connection was being set up (not a refused connection: that is a node that is down).
            // Under TLS 1.3 the client may finish its side and send the request before the node's refusal of the
            // certificate arrives: then the reset comes while sending (HttpRequestError.Unknown).
            if (ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.Unknown } reset && ResetInSetUp(reset))
                return new InvalidOperationException($"the node reset the connection while it was being set up ({reset.InnerException?.Message}); it may not accept this client certificate");
        }
        return null;
    }
}
