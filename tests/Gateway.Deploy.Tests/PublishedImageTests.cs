using System.Net;
using Gateway.Harness;
using Gateway.LocalServers;
using Gateway.Node.Grpc;
using Grpc.Health.V1;

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
        var (certificate, key) = image.Tls.IssueClientFiles(CallerRole.Operator, "deploy-test");
        var env = Published.ImageEnvironment(image.ConsoleDockerfile, port);
        env["Console__Node"] = image.Address.ToString();
        env["Console__ClientCertificate"] = certificate;
        env["Console__ClientKey"] = key;
        env["Console__NodeCa"] = image.Tls.CaPath;
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

    private async Task WaitServingAsync()
    {
        using var channel = ClusterTls.Channel(image.Address, image.Tls.Anonymous());
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
