using System.Net.Sockets;
using Gateway.LocalServers;

namespace Gateway.Idempotency.Tests;

public sealed class RedisServerTests
{
    [Fact]
    public async Task Private_server_listens_on_loopback_and_its_port_closes_after_dispose()
    {
        Assert.True(RedisServer.IsAvailable());
        var server = await RedisServer.StartAsync();
        Assert.Equal($"127.0.0.1:{server.Port}", server.Endpoint);
        Assert.NotEqual(6379, server.Port);
        Assert.True(server.IsRunning);

        await server.DisposeAsync();

        Assert.False(server.IsRunning);
        using var client = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync("127.0.0.1", server.Port));
    }
}
