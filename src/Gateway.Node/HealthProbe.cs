using Gateway.Node.Infrastructure;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Http;

namespace Gateway.Node;

/// <summary>
/// <c>Gateway.Node --health-check [address]</c>: asks this container's own node grpc.health.v1 Check on loopback and
/// exits 0 when SERVING, 1 otherwise. The container HEALTHCHECK and the Kubernetes exec probes run it, so no probe
/// binary is downloaded into the image; the address comes from the node's own settings (Kestrel:Endpoints, urls) when
/// not given. It runs no host: a probe costs a process start and one call.
/// </summary>
public static class HealthProbe
{
    public const string Switch = "--health-check";

    public static bool Requested(string[] args) => args.Length > 0 && args[0] == Switch;

    public static async Task<int> RunAsync(string[] args)
    {
        var rest = args[1..];
        Uri target;
        try
        {
            // An explicit address first; otherwise the node's own settings (the rest of the line may override them).
            target = rest is [var address, ..] && !address.StartsWith("--", StringComparison.Ordinal) ? new Uri(address) : LocalAddress(Configuration(rest));
        }
        catch (Exception ex) when (ex is UriFormatException or FormatException)
        {
            Console.Error.WriteLine($"health-check: no usable listen address: {ex.Message}");
            return 1;
        }
        // Loopback to the node in this same container, reading a status only: the server certificate names the node's
        // public host, not 127.0.0.1, so it is not checked here (health answers without a client certificate).
        using var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
            ConnectTimeout = TimeSpan.FromSeconds(2),
        };
        using var channel = GrpcChannel.ForAddress(target, new GrpcChannelOptions { HttpHandler = handler });
        try
        {
            var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(3));
            Console.WriteLine($"{target} {reply.Status}");
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving ? 0 : 1;
        }
        catch (global::Grpc.Core.RpcException ex)
        {
            Console.WriteLine($"{target} unreachable: {ex.Status.StatusCode} {ex.Status.Detail}");
            return 1;
        }
    }

    /// <summary>The same sources the host reads, in its order: appsettings, environment, command line.</summary>
    private static IConfiguration Configuration(string[] args)
    {
        var environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? "Production";
        return new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
    }

    /// <summary>The first address the node listens on, with a wildcard or its public name replaced by loopback.</summary>
    public static Uri LocalAddress(IConfiguration config)
    {
        var address = TransportSecurity.ListenAddresses(config).FirstOrDefault() ?? "http://localhost:5000"; // Kestrel's default
        var parsed = BindingAddress.Parse(address);
        return new Uri($"{parsed.Scheme}://127.0.0.1:{parsed.Port}");
    }
}
