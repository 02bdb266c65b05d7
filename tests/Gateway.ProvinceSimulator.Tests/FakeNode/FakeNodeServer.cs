using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.ProvinceSimulator.Tests.FakeNode;

/// <summary>A minimal gRPC server (h2c on loopback) hosting the fake node's services over a shared store.</summary>
public sealed class FakeNodeServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeNodeServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }
    public Uri Address => new($"http://127.0.0.1:{Port}");

    /// <summary>Starts on <paramref name="port"/>, or on a free port chosen by the OS when 0.</summary>
    public static async Task<FakeNodeServer> StartAsync(FakeWorkItemStore store, FakeTransferLog? transfers = null, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(transfers ?? new FakeTransferLog());
        var app = builder.Build();
        app.MapGrpcService<FakeWorkItemService>();
        app.MapGrpcService<FakeTransferService>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeNodeServer(app, new Uri(address).Port);
    }

    public async Task StopAsync() => await _app.StopAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
