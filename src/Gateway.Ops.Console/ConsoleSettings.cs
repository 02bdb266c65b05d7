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
}

/// <summary>One channel to the node for the host's life; every call gets the configured deadline.</summary>
public sealed class NodeClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly TimeSpan _timeout;

    public NodeClient(Uri node, TimeSpan timeout)
    {
        Address = node;
        _timeout = timeout;
        _channel = GrpcChannel.ForAddress(node);
        Ops = new OpsService.OpsServiceClient(_channel);
    }

    public Uri Address { get; }

    public OpsService.OpsServiceClient Ops { get; }

    public CallOptions Call(CancellationToken ct, Metadata? headers = null) => new(headers, DateTime.UtcNow + _timeout, ct);

    public void Dispose() => _channel.Dispose();
}
