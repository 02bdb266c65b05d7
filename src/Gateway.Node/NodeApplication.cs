using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Node;

/// <summary>Builds one province's node. Kept out of Program.cs so tests and the demo host it in-process.</summary>
public static class NodeApplication
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        // Province systems speak h2c on a private network; TLS comes with the security phase.
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(e => e.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddGrpcHealthChecks()
            .AddCheck("node", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy());
        builder.Services.AddGrpcReflection();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        return app;
    }
}
