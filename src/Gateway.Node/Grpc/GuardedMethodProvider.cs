using Gateway.Node.Application;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Google.Protobuf;
using MessageDescriptor = Google.Protobuf.Reflection.MessageDescriptor;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Node.Grpc;

/// <summary>
/// Binds generated gRPC services exactly as grpc-dotnet's internal BinderServiceMethodProvider does, but
/// with a request marshaller that turns a body that does not decode into INVALID_ARGUMENT.
/// <para>Why here: grpc-dotnet decodes the request with the method's marshaller before any interceptor
/// runs, and a deserializer that throws ends the call UNKNOWN; an <see cref="RpcException"/> thrown from it
/// keeps its status (HttpContextServerCallContext.ProcessHandlerError). The generated marshallers are
/// static, so the only place to swap them is where methods are bound to routes.</para>
/// <para>Replaces the default provider (see <see cref="GuardedGrpcMethods.UseGuardedRequestDecoding"/>)
/// rather than adding to it, so every route is registered once.</para>
/// </summary>
public sealed class GuardedMethodProvider<[DynamicallyAccessedMembers(Accessibility)] TService>(IServiceProvider services)
    : IServiceMethodProvider<TService> where TService : class
{
    internal const DynamicallyAccessedMemberTypes Accessibility = DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicMethods;

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        // A default provider added back (AddGrpc called again later) would map every route twice.
        if (services.GetServices<IServiceMethodProvider<TService>>().Any(GuardedGrpcMethods.IsDefaultBinder))
            throw new InvalidOperationException($"Both the default and the guarded gRPC method provider bind {typeof(TService).Name}: call UseGuardedRequestDecoding after the last AddGrpc.");

        var bind = FindBindMethod(typeof(TService));
        if (bind is null) return; // not a generated service: the ServerServiceDefinition provider handles those
        var binder = new Binder(context, bind.GetParameters()[1].ParameterType);
        try
        {
            bind.Invoke(null, [binder, null]);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw new InvalidOperationException($"Error binding gRPC service '{typeof(TService).Name}'.", ex.InnerException);
        }
    }

    /// <summary>BindService(ServiceBinderBase, TServiceBase) named by [BindServiceMethod] on the generated base.</summary>
    private static MethodInfo? FindBindMethod(Type serviceType)
    {
        for (var type = serviceType; type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>() is not { } attribute) continue;
            return attribute.BindType.GetMethod(attribute.BindMethodName, BindingFlags.Public | BindingFlags.Static,
                binder: null, [typeof(ServiceBinderBase), type], modifiers: null);
        }
        return null;
    }

    /// <summary>Receives the generated methods and adds them to the context with guarded request marshallers.</summary>
    private sealed class Binder(ServiceMethodProviderContext<TService> context, Type declaringType) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            context.AddUnaryMethod(GuardedGrpcMethods.Guard(method), Metadata(method.Name, [typeof(TRequest), typeof(ServerCallContext)], out var target),
                Invoker<UnaryServerMethod<TService, TRequest, TResponse>>(target));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddServerStreamingMethod(GuardedGrpcMethods.Guard(method), Metadata(method.Name, [typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)], out var target),
                Invoker<ServerStreamingServerMethod<TService, TRequest, TResponse>>(target));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddClientStreamingMethod(GuardedGrpcMethods.Guard(method), Metadata(method.Name, [typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext)], out var target),
                Invoker<ClientStreamingServerMethod<TService, TRequest, TResponse>>(target));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddDuplexStreamingMethod(GuardedGrpcMethods.Guard(method), Metadata(method.Name, [typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)], out var target),
                Invoker<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(target));

        private static TDelegate Invoker<TDelegate>(MethodInfo target) where TDelegate : Delegate =>
            (TDelegate)Delegate.CreateDelegate(typeof(TDelegate), target);

        /// <summary>Endpoint metadata in the default provider's order: type attributes, method attributes, POST.</summary>
        private List<object> Metadata(string name, Type[] parameters, out MethodInfo target)
        {
            target = FindOverride(name, parameters) ?? throw new InvalidOperationException($"Could not find '{name}' on {typeof(TService)}.");
            var metadata = new List<object>();
            metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
            metadata.AddRange(target.GetCustomAttributes(inherit: true));
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return metadata;
        }

        /// <summary>The public instance method overriding the generated base's virtual one (a hiding method is skipped).</summary>
        private MethodInfo? FindOverride(string name, Type[] parameters)
        {
            for (var type = typeof(TService); type is not null; type = type.BaseType)
            {
                var candidate = type.GetMethod(name, BindingFlags.Public | BindingFlags.Instance, binder: null, parameters, modifiers: null);
                if (candidate is null) return null;
                if (candidate.IsVirtual && candidate.GetBaseDefinition().DeclaringType == declaringType) return candidate;
            }
            return null;
        }
    }
}

/// <summary>Registration and the guarded request marshaller.</summary>
public static class GuardedGrpcMethods
{
    private const string DefaultBinderName = "BinderServiceMethodProvider`1";

    /// <summary>
    /// Swaps grpc-dotnet's default method provider for <see cref="GuardedMethodProvider{TService}"/>.
    /// Call after the last AddGrpc: AddGrpc adds the default provider back when it is missing.
    /// </summary>
    public static IServiceCollection UseGuardedRequestDecoding(this IServiceCollection services)
    {
        var defaults = services.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>) && d.ImplementationType is { } t && IsDefaultBinderType(t)).ToList();
        if (defaults.Count == 0)
            throw new InvalidOperationException("grpc-dotnet's default method provider is not registered: call UseGuardedRequestDecoding after AddGrpc (or the provider was renamed in a new Grpc.AspNetCore.Server).");
        foreach (var d in defaults) services.Remove(d);
        services.Add(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(GuardedMethodProvider<>)));
        return services;
    }

    internal static bool IsDefaultBinder(object provider) => IsDefaultBinderType(provider.GetType());

    private static bool IsDefaultBinderType(Type t) =>
        (t.IsGenericType ? t.GetGenericTypeDefinition() : t) is { Name: DefaultBinderName } d && d.Assembly == typeof(IServiceMethodProvider<>).Assembly;

    /// <summary>
    /// The same method with a request marshaller whose failures are INVALID_ARGUMENT, and a response marshaller that
    /// writes bytes already serialised for the idempotency record (<see cref="ResponseBytes"/>) instead of serialising again.
    /// </summary>
    internal static Method<TRequest, TResponse> Guard<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class where TResponse : class
    {
        var inner = method.RequestMarshaller;
        var guarded = new Marshaller<TRequest>(inner.ContextualSerializer, context => Decode(inner, context));
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, guarded, ResponseBytes.Reusing(method.ResponseMarshaller));
    }

    private static T Decode<T>(Marshaller<T> inner, DeserializationContext context)
    {
        try
        {
            return inner.ContextualDeserializer(context);
        }
        catch (RpcException)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw GatewayErrors.ToRpc(InvalidRequestException.Single("body", $"the request body is not a valid {MessageName<T>.Value}: {Reason(ex)}"));
        }
    }

    /// <summary>
    /// A short reason of our own wording: Google.Protobuf's messages are fixed texts today, but other decoders
    /// (e.g. System.Text's) quote the offending bytes, and those must never be echoed back.
    /// </summary>
    internal static string Reason(Exception ex) => ex is not InvalidProtocolBufferException ? "it could not be decoded" : ex.Message switch
    {
        var m when m.Contains("ended unexpectedly", StringComparison.Ordinal) => "it is truncated, or a field claims more bytes than follow",
        var m when m.Contains("UTF-8", StringComparison.Ordinal) => "a string field is not valid UTF-8",
        var m when m.Contains("nesting", StringComparison.Ordinal) => "it nests messages or groups too deeply",
        var m when m.Contains("negative size", StringComparison.Ordinal) => "a field claims a negative length",
        var m when m.Contains("varint", StringComparison.Ordinal) => "it contains a malformed varint",
        var m when m.Contains("tag", StringComparison.Ordinal) => "it contains an invalid field tag or an unmatched group",
        var m when m.Contains("too large", StringComparison.Ordinal) => "it is too large",
        _ => "it is not a well-formed protocol buffer message",
    };

    /// <summary>The proto name of a request type ("gateway.transfer.v1.GetTransferRequest"), found once per type.</summary>
    private static class MessageName<T>
    {
        public static readonly string Value =
            typeof(T).GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is MessageDescriptor d ? d.FullName : typeof(T).Name;
    }
}
