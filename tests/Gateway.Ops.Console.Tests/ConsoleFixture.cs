using System.Net;
using System.Text.RegularExpressions;
using Gateway.Contracts.Ops.V1;
using Gateway.Harness;
using Gateway.LocalServers;
using Microsoft.AspNetCore.Builder;

namespace Gateway.Ops.Console.Tests;

/// <summary>
/// Two nodes (15 origin, 51 destination); the origin runs on a clock the tests move. The console runs in this process
/// against node 15, as an operator of province 15 would run it.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public ShiftableClock OriginClock { get; } = new();
    public GatewayCluster Cluster { get; private set; } = null!;
    public TransferDriver Driver { get; private set; } = null!;
    public WebApplication Console { get; private set; } = null!;
    public Uri ConsoleAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = ["15", "51"], PeoplePerProvince = 40,
            Clocks = new Dictionary<string, TimeProvider> { ["15"] = OriginClock },
            // The tests move 15's clock by weeks: a window that wide keeps its envelopes fresh at 51 (and 51's at 15).
            NodeSettings = new Dictionary<string, string> { ["Gateway:Signing:FreshnessAhead"] = "400.00:00:00", ["Gateway:Signing:FreshnessPast"] = "400.00:00:00" },
        });
        Driver = new TransferDriver(Cluster);
        (Console, ConsoleAddress) = await StartConsoleAsync("15");
    }

    /// <summary>A console host on a free port against one node (the operator is typed in each form).</summary>
    public async Task<(WebApplication App, Uri Address)> StartConsoleAsync(string province)
    {
        for (var attempt = 1; ; attempt++)
        {
            var address = new Uri($"http://127.0.0.1:{FreePort.Find()}");
            var app = ConsoleApp.Build(["--urls", address.ToString().TrimEnd('/'), "--node", Cluster[province].Address.ToString(), "--Logging:LogLevel:Default=Warning"]);
            try
            {
                await app.StartAsync();
                return (app, address);
            }
            catch (IOException) when (attempt < 5)
            {
                await app.DisposeAsync(); // the port was taken between finding and binding it
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (Console is not null) await Console.DisposeAsync();
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    public OpsService.OpsServiceClient Ops(string province) => new(Cluster[province].Channel);

    /// <summary>A client of the console that keeps its cookies (the anti-forgery cookie) and does not follow redirects.</summary>
    public HttpClient Http(CookieContainer? cookies = null) => new(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), AllowAutoRedirect = false })
    {
        BaseAddress = ConsoleAddress, Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>The anti-forgery form field of an action's confirmation form (its cookie lands in the client's container).</summary>
    public static async Task<string> FormTokenAsync(HttpClient http, string action)
    {
        var html = await http.GetStringAsync($"/actions/{action}");
        return Regex.Match(html, "name=\"__af\" value=\"([^\"]+)\"").Groups[1].Value;
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console cluster";
}
