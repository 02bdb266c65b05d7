using Gateway.Contracts.Ops.V1;
using Gateway.Harness;
using Gateway.Node.Grpc;
using Google.Protobuf;

namespace Gateway.Ops.Cli.Tests;

/// <summary>One node over mutual TLS (the run's private CA), and certificate files for an operator and an auditor.</summary>
public sealed class CliTlsFixture : IAsyncLifetime
{
    public GatewayCluster Cluster { get; private set; } = null!;
    public (string Certificate, string Key) Operator { get; private set; }
    public (string Certificate, string Key) Auditor { get; private set; }
    public string Node => Cluster["15"].Address.ToString();
    public string Ca => Cluster.Tls!.CaPath;

    public async Task InitializeAsync()
    {
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions { Provinces = ["15"], PeoplePerProvince = 10, Tls = true });
        Operator = Cluster.Tls!.IssueClientFiles(CallerRole.Operator, "ops-cli-zhao");
        Auditor = Cluster.Tls.IssueClientFiles(CallerRole.Auditor, "audit-cli-qian");
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    public async Task<(int Code, string Out, string Err)> CliAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync(args, output, error, name => name == "USER" ? "cli-user" : null);
        return (code, output.ToString(), error.ToString());
    }
}

public sealed class CliTlsTests(CliTlsFixture fx) : IClassFixture<CliTlsFixture>
{
    private string[] As((string Certificate, string Key) who, params string[] args) =>
        [.. args, "--node", fx.Node, "--cert", who.Certificate, "--cert-key", who.Key, "--ca", fx.Ca];

    private static string[] Range() =>
        ["--from", DateTimeOffset.UtcNow.AddHours(-1).ToString("O"), "--to", DateTimeOffset.UtcNow.AddMinutes(1).ToString("O")];

    [Fact]
    public async Task With_an_operator_certificate_the_cli_acts_and_the_audit_names_the_certificates_operator()
    {
        var reason = "cli over tls " + Guid.NewGuid().ToString("N");
        var (code, _, error) = await fx.CliAsync(As(fx.Operator, ["resend-failed", .. Range(), "--reason", reason, "--operator", "not-me"]));
        Assert.True(code == ExitCodes.Ok, error);
        (code, var output, error) = await fx.CliAsync(As(fx.Operator, "audit", "--page-size", "500", "--json"));
        Assert.True(code == ExitCodes.Ok, error);
        var entry = JsonParser.Default.Parse<ListAuditTrailResponse>(output).Entries.Single(e => e.Reason == reason);
        Assert.Equal("ops-cli-zhao", entry.Operator);
    }

    [Fact]
    public async Task The_config_file_can_hold_the_node_and_the_certificate_files()
    {
        var path = Path.Combine(fx.Cluster.Tls!.Folder, "gateway-ops.json");
        await File.WriteAllTextAsync(path, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["node"] = fx.Node, ["cert"] = fx.Auditor.Certificate, ["key"] = fx.Auditor.Key, ["ca"] = fx.Ca,
        }));
        var (code, output, error) = await fx.CliAsync("counts", "--json", "--config", path);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.NotEmpty(JsonParser.Default.Parse<CountConditionsResponse>(output).Counts);
    }

    [Fact]
    public async Task Without_a_certificate_or_with_an_auditors_on_an_action_the_cli_exits_3_with_the_reason()
    {
        var (code, _, error) = await fx.CliAsync("counts", "--node", fx.Node, "--ca", fx.Ca);
        Assert.Equal(ExitCodes.Refused, code);
        Assert.Contains("PERMISSION_DENIED", error);
        Assert.Contains("reason: NO_CLIENT_CERTIFICATE", error);

        (code, _, error) = await fx.CliAsync(As(fx.Auditor, ["resend-failed", .. Range(), "--reason", "auditor tries"]));
        Assert.Equal(ExitCodes.Refused, code);
        Assert.Contains("reason: ROLE_NOT_ALLOWED", error);
    }

    [Fact]
    public async Task A_failed_handshake_exits_4_and_says_it_was_tls()
    {
        // Without --ca the node's private-CA certificate is not trusted by the system store.
        var (code, _, error) = await fx.CliAsync("counts", "--node", fx.Node, "--cert", fx.Operator.Certificate, "--cert-key", fx.Operator.Key);
        Assert.Equal(ExitCodes.Unreachable, code);
        Assert.Contains("TLS handshake", error);

        // A certificate from another CA: the node closes the connection.
        using var stranger = ClusterTls.Create("stranger CA");
        var foreign = stranger.IssueClientFiles(CallerRole.Operator, "ops-stranger");
        (code, _, error) = await fx.CliAsync(As(foreign, "counts"));
        Assert.Equal(ExitCodes.Unreachable, code);
        Assert.True(error.Contains("TLS handshake", StringComparison.Ordinal), error);
    }

    [Fact]
    public async Task Certificate_options_against_a_plaintext_address_or_missing_files_are_bad_usage()
    {
        var (code, _, error) = await fx.CliAsync("counts", "--node", "http://127.0.0.1:1", "--cert", fx.Operator.Certificate, "--cert-key", fx.Operator.Key);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("https://", error);
        (code, _, error) = await fx.CliAsync(As((fx.Operator.Certificate + ".missing", fx.Operator.Key), "counts"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("does not exist", error);
    }
}
