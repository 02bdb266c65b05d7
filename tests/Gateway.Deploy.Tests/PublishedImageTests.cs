using System.Net;
using System.Security.Cryptography.X509Certificates;
using Gateway.LocalServers;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Gateway.Deploy.Tests;

/// <summary>
/// Done when (issue 14): `dotnet publish` as the Dockerfile runs it, and the published node starts and answers health.
/// Also the image's HEALTHCHECK command, and the console's image.
/// </summary>
public sealed class PublishedImageTests(PublishedImageFixture image) : IClassFixture<PublishedImageFixture>
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Published_node_started_by_the_image_entrypoint_answers_grpc_health_serving()
    {
        await WaitServingAsync();
    }

    [Fact]
    public async Task Image_healthcheck_command_reports_serving_from_the_image_settings_alone()
    {
        await WaitServingAsync();
        var command = image.NodeDockerfile.Final.Exec("HEALTHCHECK");
        var (code, output) = Published.Run(command[0], command.Skip(1), image.NodeFolder, image.NodeEnvironment, TimeSpan.FromSeconds(30));
        Assert.True(code == 0, $"HEALTHCHECK {string.Join(' ', command)} exited {code}: {output}");
        Assert.Contains("Serving", output);
        Assert.Contains($"https://127.0.0.1:{image.Port}", output); // found the port from ASPNETCORE_URLS, over TLS
    }

    [Fact]
    public void Image_healthcheck_command_fails_when_no_node_answers()
    {
        var env = Published.ImageEnvironment(image.NodeDockerfile, FreePort.Find());
        var command = image.NodeDockerfile.Final.Exec("HEALTHCHECK");
        var (code, output) = Published.Run(command[0], command.Skip(1), image.NodeFolder, env, TimeSpan.FromSeconds(30));
        Assert.True(code != 0, $"the probe passed with no node listening: {output}");
        Assert.Contains("unreachable", output);
    }

    [Fact]
    public async Task Published_console_started_by_its_image_entrypoint_serves_the_dashboard_of_the_node()
    {
        await WaitServingAsync();
        var folder = Published.Publish(image.ConsoleDockerfile, Path.Combine(image.NodeFolder, "..", "console"));
        var port = FreePort.Find();
        var env = Published.ImageEnvironment(image.ConsoleDockerfile, port);
        env["Console__Node"] = image.Address.ToString();
        env["Console__ClientCertificate"] = image.SecretFile("operator-console.pem");
        env["Console__ClientKey"] = image.SecretFile("operator-console.key");
        env["Console__NodeCa"] = image.SecretFile("ca.pem");
        var log = new System.Text.StringBuilder();
        using var console = Published.Start(image.ConsoleDockerfile.Final.Exec("ENTRYPOINT"), folder, env, log);
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var until = DateTime.UtcNow + StartTimeout;
            HttpResponseMessage? page = null;
            while (page is null)
            {
                Assert.False(console.HasExited, "the console exited:\n" + Published.Tail(log.ToString()));
                try { page = await http.GetAsync($"http://127.0.0.1:{port}/"); }
                catch (HttpRequestException) when (DateTime.UtcNow < until) { await Task.Delay(200); }
            }
            var body = await page.Content.ReadAsStringAsync();
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET / answered {(int)page.StatusCode}:\n{body[..Math.Min(body.Length, 2000)]}\n{Published.Tail(log.ToString())}");

            var check = image.ConsoleDockerfile.Final.Exec("HEALTHCHECK");
            var (code, output) = Published.Run(check[0], check.Skip(1), folder, env, TimeSpan.FromSeconds(20));
            Assert.True(code == 0, $"the console's HEALTHCHECK exited {code}: {output}");
        }
        finally
        {
            await Published.StopAsync(console);
        }
    }

    [Fact]
    public async Task Gen_certs_gives_the_province_system_a_certificate_the_node_accepts_for_its_role()
    {
        await WaitServingAsync();
        // A system call with system-15's certificate passes the role check (it reaches the handler: NOT_FOUND, not
        // PERMISSION_DENIED); the operator console's certificate may not make it.
        var system = Gateway.Contracts.ClientTls.FromFiles(image.SecretFile("system-15.pem"), image.SecretFile("system-15.key"), image.SecretFile("ca.pem"));
        var op = Gateway.Contracts.ClientTls.FromFiles(image.SecretFile("operator-console.pem"), image.SecretFile("operator-console.key"), image.SecretFile("ca.pem"));
        var request = new Gateway.Contracts.Transfer.V1.GetTransferRequest { TransferId = "51T" + new string('0', 32) };
        using (var channel = GrpcChannel.ForAddress(image.Address, new GrpcChannelOptions { HttpHandler = system.Handler() }))
        {
            var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() =>
                new Gateway.Contracts.Transfer.V1.TransferService.TransferServiceClient(channel).GetTransferAsync(request).ResponseAsync);
            Assert.Equal(Grpc.Core.StatusCode.NotFound, refused.StatusCode);
        }
        using (var channel = GrpcChannel.ForAddress(image.Address, new GrpcChannelOptions { HttpHandler = op.Handler() }))
        {
            var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() =>
                new Gateway.Contracts.Transfer.V1.TransferService.TransferServiceClient(channel).GetTransferAsync(request).ResponseAsync);
            Assert.Equal(Grpc.Core.StatusCode.PermissionDenied, refused.StatusCode);
        }
    }

    [Fact]
    public void Gen_certs_broker_keystores_open_with_their_credentials_and_name_their_broker()
    {
        foreach (var broker in new[] { "kafka-1", "kafka-2", "kafka-3" })
        {
            var password = File.ReadAllText(image.SecretFile($"{broker}.creds"));
            var store = X509CertificateLoader.LoadPkcs12CollectionFromFile(image.SecretFile($"{broker}.keystore.p12"), password);
            var leaf = Assert.Single(store, c => c.HasPrivateKey);
            Assert.True(leaf.MatchesHostname(broker), $"{broker}'s certificate does not name {broker}");
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificateFromFile(image.SecretFile("ca.pem")));
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            Assert.True(chain.Build(leaf), $"{broker}'s certificate does not chain to ca.pem");
        }
        // The apache/kafka image reads these names (compose.yaml); the admin client's properties name files that exist.
        Assert.True(File.Exists(image.SecretFile("kafka.truststore.p12")) && File.Exists(image.SecretFile("kafka.truststore.creds")));
        Assert.Contains("ScramLoginModule", File.ReadAllText(image.SecretFile("kafka_server_jaas.conf")));
        var admin = File.ReadAllLines(image.SecretFile("admin.properties")).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(File.ReadAllText(image.SecretFile("kafka.truststore.creds")), admin["ssl.truststore.password"]);
        X509CertificateLoader.LoadPkcs12CollectionFromFile(image.SecretFile("admin.keystore.p12"), admin["ssl.keystore.password"]);
        var env = File.ReadAllLines(image.EnvFile).Where(l => !l.StartsWith('#')).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(32, Convert.FromBase64String(env["NODE15_REDIS_RESPONSE_KEY"]).Length); // what Redis:ResponseKey requires
        Assert.True(env["NODE15_KAFKA_PASSWORD"].Length >= 32);
    }

    private async Task WaitServingAsync()
    {
        var tls = Gateway.Contracts.ClientTls.FromFiles(null, null, image.SecretFile("ca.pem"));
        using var channel = GrpcChannel.ForAddress(image.Address, new GrpcChannelOptions { HttpHandler = tls.Handler() });
        var client = new Health.HealthClient(channel);
        var until = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            Assert.False(image.NodeExited, "the published node exited:\n" + Published.Tail(image.NodeLog.ToString()));
            try
            {
                var reply = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(3));
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving) return;
            }
            catch (Grpc.Core.RpcException) when (DateTime.UtcNow < until) { }
            if (DateTime.UtcNow >= until) Assert.Fail($"not SERVING within {StartTimeout}:\n{Published.Tail(image.NodeLog.ToString())}");
            await Task.Delay(200);
        }
    }
}
