using Gateway.Node.Infrastructure;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Gateway.Node.Grpc;

/// <summary>
/// Authorises each call by the caller's client certificate (<see cref="CallerIdentity"/>, <see cref="CallerPolicy"/>)
/// before bounds, admission or any handler. A call over plaintext h2c carries no identity and is let through: the node
/// serves plaintext only on loopback unless Gateway:AllowPlaintext (<see cref="TransportSecurity"/>). An operator's
/// certificate names the operator: it replaces the request's <c>operator</c> field, so the audit trail records who
/// really acted.
/// </summary>
public sealed class CallerRoleInterceptor(NodeIdentity node, ILogger<CallerRoleInterceptor> logger) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authorise(context, request as IMessage);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorise(context, request as IMessage);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorise(context, null);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorise(context, null);
        return continuation(requestStream, responseStream, context);
    }

    private void Authorise(ServerCallContext context, IMessage? request)
    {
        var allowed = CallerPolicy.Allowed(context.Method);
        if (allowed == CallerPolicy.Open) return;
        var http = context.GetHttpContext();
        if (!http.Request.IsHttps) return; // loopback development (or explicitly allowed plaintext): no identity to check
        try
        {
            var caller = Caller(http.Connection.ClientCertificate, allowed, context.Method);
            if (caller.Role == CallerRole.Operator && request is not null) ActAs(request, caller.Name);
        }
        catch (CallerNotAllowedException refused)
        {
            logger.LogInformation("{Method} refused: {Reason}", context.Method, refused.Reason);
            throw GatewayErrors.ToRpc(refused);
        }
    }

    private CallerIdentity Caller(System.Security.Cryptography.X509Certificates.X509Certificate2? certificate, CallerRole allowed, string method)
    {
        if (certificate is null)
            throw new CallerNotAllowedException(CallerNotAllowedException.NoClientCertificate,
                "This call needs a client certificate issued by the node's client CA (docs/security.md, Transport and roles).",
                new Dictionary<string, string> { ["allowed_roles"] = CallerPolicy.Describe(allowed) });
        var caller = CallerIdentity.From(certificate, out var problem)
            ?? throw new CallerNotAllowedException(CallerNotAllowedException.CertificateWithoutRole,
                $"The client certificate names no caller role: {problem}.",
                new Dictionary<string, string> { ["allowed_roles"] = CallerPolicy.Describe(allowed) });
        if (!allowed.HasFlag(caller.Role))
            throw new CallerNotAllowedException(CallerNotAllowedException.RoleNotAllowed,
                $"A {CallerPolicy.Describe(caller.Role)} certificate may not call {method}; it needs {CallerPolicy.Describe(allowed)}.",
                new Dictionary<string, string> { ["role"] = CallerPolicy.Describe(caller.Role), ["allowed_roles"] = CallerPolicy.Describe(allowed) });
        // A province's system acts only at its own province's node.
        if (caller.Role == CallerRole.System && caller.Name != node.Province)
            throw new CallerNotAllowedException(CallerNotAllowedException.CertificateForAnotherProvince,
                $"The certificate is province {caller.Name}'s system; this node serves province {node.Province}.",
                new Dictionary<string, string> { ["certificate_province"] = caller.Name, ["node_province"] = node.Province });
        return caller;
    }

    /// <summary>The certificate's operator name wins over the request's <c>operator</c> field (kept for h2c development).</summary>
    private static void ActAs(IMessage request, string name)
    {
        if (request.Descriptor.FindFieldByName("operator") is { FieldType: FieldType.String, IsRepeated: false } field)
            field.Accessor.SetValue(request, name);
    }
}
