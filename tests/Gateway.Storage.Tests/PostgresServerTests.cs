using System.Net.Sockets;
using Gateway.LocalServers;
using Npgsql;

namespace Gateway.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgresServerTests(PostgresFixture fixture)
{
    [Fact]
    public async Task One_private_server_hosts_separate_node_databases_and_is_gone_after_dispose()
    {
        var server = await PostgresServer.StartAsync(PostgresServerOptions.ForTests);
        var dataDirectory = server.DataDirectory;
        try
        {
            var node11 = await server.CreateDatabaseAsync("node_11");
            var node15 = await server.CreateDatabaseAsync("node_15");
            await using (var conn = new NpgsqlConnection(node11))
            {
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand("CREATE TABLE only_in_11 (id int); SHOW listen_addresses", conn);
                Assert.Equal("127.0.0.1", (string)(await cmd.ExecuteScalarAsync())!);
            }
            await using (var conn = new NpgsqlConnection(node15))
            {
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand("SELECT to_regclass('only_in_11') IS NULL", conn);
                Assert.True((bool)(await cmd.ExecuteScalarAsync())!);
            }
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.False(Directory.Exists(dataDirectory));
        using var client = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync("127.0.0.1", server.Port));
    }

    [Theory]
    [InlineData("Node11")]
    [InlineData("node-11")]
    [InlineData("x; DROP DATABASE postgres")]
    public async Task Database_names_other_than_lower_case_identifiers_are_refused(string name)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Server.CreateDatabaseAsync(name));
    }
}
