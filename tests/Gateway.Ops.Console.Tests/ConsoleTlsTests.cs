using System.Net;
using Gateway.Harness;
using Gateway.LocalServers;
using Gateway.Node.Grpc;
using Microsoft.AspNetCore.Builder;

namespace Gateway.Ops.Console.Tests;

/// <summary>One node over mutual TLS; consoles started against it with and without a client certificate.</summary>
public sealed class ConsoleTlsFixture : IAsyncLifetime
{
    public GatewayCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions { Provinces = ["15"], PeoplePerProvince = 10, Tls = true });

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    public async Task<(WebApplication App, HttpClient Http)> StartConsoleAsync(params string[] tls)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort.Find()}");
        var app = ConsoleApp.Build(["--urls", address.ToString().TrimEnd('/'), "--node", Cluster["15"].Address.ToString(), "--Logging:LogLevel:Default=Warning", .. tls]);
        await app.StartAsync();
        return (app, new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) });
    }
}

public sealed class ConsoleTlsTests(ConsoleTlsFixture fx) : IClassFixture<ConsoleTlsFixture>
{
    [Fact]
    public async Task With_an_auditors_certificate_the_console_shows_the_counts()
    {
        var (certificate, key) = fx.Cluster.Tls!.IssueClientFiles(CallerRole.Auditor, "audit-console");
        var (app, http) = await fx.StartConsoleAsync("--cert", certificate, "--cert-key", key, "--ca", fx.Cluster.Tls.CaPath);
        await using (app)
        using (http)
        {
            var page = await http.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }
    }

    [Fact]
    public async Task Without_a_certificate_the_console_shows_the_nodes_refusal()
    {
        var (app, http) = await fx.StartConsoleAsync("--ca", fx.Cluster.Tls!.CaPath);
        await using (app)
        using (http)
        {
            var page = await http.GetAsync("/");
            Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
            Assert.Contains("NO_CLIENT_CERTIFICATE", await page.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public void Certificate_settings_against_a_plaintext_node_address_stop_the_console_at_start()
    {
        var (certificate, key) = fx.Cluster.Tls!.IssueClientFiles(CallerRole.Operator, "ops-console");
        var ex = Assert.Throws<InvalidOperationException>(() => ConsoleApp.Build(
            ["--urls", "http://127.0.0.1:1", "--node", "http://127.0.0.1:2", "--cert", certificate, "--cert-key", key]));
        Assert.Contains("https://", ex.Message);
    }
}
