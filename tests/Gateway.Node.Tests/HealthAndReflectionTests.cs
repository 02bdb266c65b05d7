using System.Net;
using System.Net.Sockets;
using Gateway.Node;
using Microsoft.AspNetCore.Builder;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;

namespace Gateway.Node.Tests;

public sealed class HealthAndReflectionTests : IAsyncLifetime
{
    private WebApplication? _app;
    private GrpcChannel? _channel;

    public async Task InitializeAsync()
    {
        var port = FreeTcpPort();
        _app = NodeApplication.Build([$"--urls=http://127.0.0.1:{port}"]);
        await _app.StartAsync();
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_app is not null) await _app.DisposeAsync();
    }

    [Fact]
    public async Task Health_check_answers_serving()
    {
        var client = new Health.HealthClient(_channel);
        var reply = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task Reflection_lists_the_health_service()
    {
        var client = new ServerReflection.ServerReflectionClient(_channel);
        using var call = client.ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(10));
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("grpc.health.v1.Health", names);
        Assert.Contains("grpc.reflection.v1alpha.ServerReflection", names);
    }

    private static int FreeTcpPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
