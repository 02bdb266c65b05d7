using Gateway.Contracts.Ops.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Gateway.Ops.Console;

/// <summary>Settings (section "Console"): the node whose OpsService the console calls, the operator, the call deadline.</summary>
public sealed class ConsoleSettings
{
    public const string Section = "Console";
    public const string DefaultUrl = "http://127.0.0.1:5780";

    /// <summary>The node's gRPC address, e.g. http://127.0.0.1:5015 (--node, Console:Node or $GATEWAY_OPS_NODE).</summary>
    public string Node { get; set; } = "";

    /// <summary>Who acts, until issue 12 binds it to a login; empty: each action form asks for it.</summary>
    public string Operator { get; set; } = "";

    public int CallTimeoutSeconds { get; set; } = 20;

    /// <summary>Client certificate for a TLS node: PEM (key in <see cref="ClientKey"/> or inside) or PKCS#12 (--cert, Console:ClientCertificate).</summary>
    public string? ClientCertificate { get; set; }

    /// <summary>PEM private key of <see cref="ClientCertificate"/> (--cert-key, Console:ClientKey).</summary>
    public string? ClientKey { get; set; }

    /// <summary>PEM CA certificate(s) the node's certificate must chain to; empty: the system's trust (--ca, Console:NodeCa).</summary>
    public string? NodeCa { get; set; }

    /// <summary>The client side of the node's TLS, or null when none is set; a setting that does not load stops the console at start.</summary>
    public Gateway.Contracts.ClientTls? Tls(Uri node)
    {
        if (string.IsNullOrWhiteSpace(ClientCertificate) && string.IsNullOrWhiteSpace(ClientKey) && string.IsNullOrWhiteSpace(NodeCa)) return null;
        if (node.Scheme != "https")
            throw new InvalidOperationException($"Console:ClientCertificate, ClientKey and NodeCa are for a TLS node: Console:Node must be https://, not {node}.");
        try
        {
            return Gateway.Contracts.ClientTls.FromFiles(ClientCertificate, ClientKey, NodeCa);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new InvalidOperationException($"The console's TLS files do not load: {ex.Message}");
        }
    }
}

/// <summary>One channel to the node for the host's life; every call gets the configured deadline.</summary>
public sealed class NodeClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly TimeSpan _timeout;

    public NodeClient(Uri node, TimeSpan timeout, Gateway.Contracts.ClientTls? tls = null)
    {
        Address = node;
        _timeout = timeout;
        // An operator's (or auditor's) certificate: with it the node records the certificate's operator name.
        _channel = tls is null ? GrpcChannel.ForAddress(node) : GrpcChannel.ForAddress(node, new GrpcChannelOptions { HttpHandler = tls.Handler() });
        Ops = new OpsService.OpsServiceClient(_channel);
    }

    public Uri Address { get; }

    public OpsService.OpsServiceClient Ops { get; }

    public CallOptions Call(CancellationToken ct, Metadata? headers = null) => new(headers, DateTime.UtcNow + _timeout, ct);

    public void Dispose() => _channel.Dispose();
}
