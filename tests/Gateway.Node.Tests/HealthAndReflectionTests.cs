using Gateway.Node;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;

namespace Gateway.Node.Tests;

[Collection(ClusterCollection.Name)]
public sealed class HealthAndReflectionTests(ClusterFixture fx)
{
    [Fact]
    public async Task Health_check_answers_serving()
    {
        var client = new Health.HealthClient(fx.Cluster["15"].Channel);
        var reply = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task Reflection_lists_the_health_and_transfer_services()
    {
        var client = new ServerReflection.ServerReflectionClient(fx.Cluster["15"].Channel);
        using var call = client.ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(10));
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("grpc.health.v1.Health", names);
        Assert.Contains("grpc.reflection.v1alpha.ServerReflection", names);
        Assert.Contains("gateway.transfer.v1.TransferService", names);
    }
}

public sealed class NodeConfigurationTests
{
    [Fact]
    public void A_node_without_province_database_or_broker_refuses_to_start_naming_each_setting()
    {
        var ex = Assert.Throws<NodeConfigurationException>(() => NodeApplication.Build(["--urls=http://127.0.0.1:0"]));
        Assert.Contains("Gateway:Province", ex.Message);
        Assert.Contains("ConnectionStrings:Node", ex.Message);
        Assert.Contains("Kafka:BootstrapServers", ex.Message);
    }

    [Fact]
    public void A_node_for_an_unknown_province_refuses_to_start()
    {
        var ex = Assert.Throws<NodeConfigurationException>(() => NodeApplication.Build(
            ["--Gateway:Province=99", "--ConnectionStrings:Node=Host=127.0.0.1;Port=1", "--Kafka:BootstrapServers=127.0.0.1:1"]));
        Assert.Contains("'99' is not a known", ex.Message);
        Assert.DoesNotContain("ConnectionStrings:Node", ex.Message);
    }

    [Fact]
    public void Signatures_are_switched_off_only_for_a_measurement_on_the_embedded_broker()
    {
        string[] node = ["--Gateway:Province=15", "--ConnectionStrings:Node=Host=127.0.0.1;Port=1", "--Kafka:BootstrapServers=127.0.0.1:1",
            "--Gateway:DirectoryPath=/nonexistent", "--Gateway:Signing:PrivateKey=x", "--Gateway:Signing:Disabled=true"];
        var ex = Assert.Throws<NodeConfigurationException>(() => NodeApplication.Build(node));
        Assert.Contains("Gateway:Signing:Disabled", ex.Message);
        Assert.Contains("embedded broker", ex.Message);
    }
}
