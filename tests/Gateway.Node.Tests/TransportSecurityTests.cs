using Gateway.Contracts;
using Gateway.Contracts.Ops.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.Node.Grpc;
using Gateway.Node.Infrastructure;
using Gateway.ProvinceSimulator;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;

namespace Gateway.Node.Tests;

/// <summary>Two nodes over mutual TLS with the run's private CA: the simulators and the drivers call as their province's system.</summary>
public sealed class TlsClusterFixture : IAsyncLifetime
{
    public GatewayCluster Cluster { get; private set; } = null!;
    public TransferDriver Driver { get; private set; } = null!;
    public ClusterTls Tls => Cluster.Tls!;
    private readonly List<GrpcChannel> _channels = [];

    public async Task InitializeAsync()
    {
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions { Provinces = ["15", "51"], PeoplePerProvince = 20, Tls = true });
        Driver = new TransferDriver(Cluster);
    }

    public async Task DisposeAsync()
    {
        foreach (var c in _channels) c.Dispose();
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    public GrpcChannel Channel(string province, ClientTls tls)
    {
        var channel = ClusterTls.Channel(Cluster[province].Address, tls);
        lock (_channels) _channels.Add(channel);
        return channel;
    }

    public OpsService.OpsServiceClient Ops(string province, ClientTls tls) => new(Channel(province, tls));

    public TransferService.TransferServiceClient Transfers(string province, ClientTls tls) => new(Channel(province, tls));
}

[CollectionDefinition(Name)]
public sealed class TlsClusterCollection : ICollectionFixture<TlsClusterFixture>
{
    public const string Name = "two-province TLS cluster";
}

[Collection(TlsClusterCollection.Name)]
public sealed class TransportSecurityTests(TlsClusterFixture fx)
{
    private static Metadata Key() => TransferDriver.Key();
    private static DateTime Deadline() => DateTime.UtcNow.AddSeconds(20);

    private static ResendFailedRequest Resend(string operatorField, string reason) => new()
    {
        CounterpartProvince = "51", Operator = operatorField, Reason = reason,
        Created = new TimeRange { From = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1)), To = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(1)) },
    };

    private static void AssertDenied(RpcException ex, string reason)
    {
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal(reason, ErrorDetails.Reason(ex));
    }

    [Fact]
    public async Task A_transfer_runs_end_to_end_with_each_province_system_on_its_own_certificate()
    {
        Assert.Equal("https", fx.Cluster["15"].Address.Scheme);
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var (destination, origin) = await fx.Driver.RunAsync("15", "51", person, TransferDriver.Today, TimeSpan.FromSeconds(60));
        Assert.Equal(TransferState.Completed, destination.State);
        Assert.Equal(TransferState.Acknowledged, origin.State);
    }

    [Fact]
    public async Task A_call_without_a_client_certificate_is_refused_but_health_stays_open()
    {
        var anonymous = fx.Tls.Anonymous();
        var health = await new Health.HealthClient(fx.Channel("15", anonymous)).CheckAsync(new HealthCheckRequest(), deadline: Deadline());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Transfers("15", anonymous)
            .GetTransferAsync(new GetTransferRequest { TransferId = "51T" + new string('0', 32) }, deadline: Deadline()).ResponseAsync);
        AssertDenied(ex, CallerNotAllowedException.NoClientCertificate);
        ex = await Assert.ThrowsAsync<RpcException>(() => fx.Ops("15", anonymous).ListExchangesAsync(new ListExchangesRequest { Condition = Condition.Held }, deadline: Deadline()).ResponseAsync);
        AssertDenied(ex, CallerNotAllowedException.NoClientCertificate);
    }

    [Fact]
    public async Task A_system_certificate_cannot_call_ops_and_an_operator_certificate_cannot_call_the_system_services()
    {
        var system = fx.Tls.Client(CallerRole.System, "15");
        var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Ops("15", system).ResendFailedAsync(Resend("ops", "system tries"), Key(), Deadline()).ResponseAsync);
        AssertDenied(ex, CallerNotAllowedException.RoleNotAllowed);
        Assert.Equal("system", ex.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["role"]);
        ex = await Assert.ThrowsAsync<RpcException>(() => fx.Ops("15", system).ListExchangesAsync(new ListExchangesRequest { Condition = Condition.Held }, deadline: Deadline()).ResponseAsync);
        AssertDenied(ex, CallerNotAllowedException.RoleNotAllowed);

        var op = fx.Tls.Client(CallerRole.Operator, "ops-zhang");
        var person = fx.Driver.PickPerson("15", EnrolmentState.Active);
        var issue = new IssueCertificateRequest { Certificate = new ProvinceDocuments(fx.Cluster["15"].Registry.Profile).BuildCertificate(person, null, TransferDriver.Today) };
        ex = await Assert.ThrowsAsync<RpcException>(() => fx.Transfers("15", op).IssueCertificateAsync(issue, Key(), Deadline()).ResponseAsync);
        AssertDenied(ex, CallerNotAllowedException.RoleNotAllowed);
        Assert.Equal("system", ex.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["allowed_roles"]);
        // The same call with the province's system certificate passes.
        var issued = await fx.Transfers("15", system).IssueCertificateAsync(issue, Key(), Deadline());
        Assert.NotEmpty(issued.Number);
    }

    [Fact]
    public async Task Another_provinces_system_certificate_and_a_certificate_without_a_role_are_refused()
    {
        var request = new GetTransferRequest { TransferId = "51T" + new string('0', 32) };
        var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Transfers("15", fx.Tls.Client(CallerRole.System, "51")).GetTransferAsync(request, deadline: Deadline()).ResponseAsync);
        AssertDenied(ex, CallerNotAllowedException.CertificateForAnotherProvince);
        ex = await Assert.ThrowsAsync<RpcException>(() => fx.Transfers("15", fx.Tls.Client(CallerRole.None, "no-role.example")).GetTransferAsync(request, deadline: Deadline()).ResponseAsync);
        AssertDenied(ex, CallerNotAllowedException.CertificateWithoutRole);
    }

    [Fact]
    public async Task An_auditor_reads_the_ops_lists_but_cannot_act()
    {
        var auditor = fx.Tls.Client(CallerRole.Auditor, "audit-li");
        var ops = fx.Ops("15", auditor);
        var listed = await ops.ListExchangesAsync(new ListExchangesRequest { Condition = Condition.Held }, deadline: Deadline());
        Assert.NotNull(listed);
        await ops.ListAuditTrailAsync(new ListAuditTrailRequest { PageSize = 10 }, deadline: Deadline());
        await ops.CountConditionsAsync(new CountConditionsRequest(), deadline: Deadline());
        var reason = "auditor tries " + Guid.NewGuid().ToString("N");
        var ex = await Assert.ThrowsAsync<RpcException>(() => ops.ResendFailedAsync(Resend("audit-li", reason), Key(), Deadline()).ResponseAsync);
        AssertDenied(ex, CallerNotAllowedException.RoleNotAllowed);
        Assert.Equal("operator", ex.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["allowed_roles"]);
        var trail = await ops.ListAuditTrailAsync(new ListAuditTrailRequest { PageSize = 500 }, deadline: Deadline());
        Assert.DoesNotContain(trail.Entries, e => e.Reason == reason); // refused before any handler: nothing was done or audited
    }

    [Fact]
    public async Task An_operator_acts_and_the_audit_trail_names_the_certificates_operator_not_the_request_field()
    {
        var ops = fx.Ops("15", fx.Tls.Client(CallerRole.Operator, "ops-wang"));
        var reason = "certificate wins " + Guid.NewGuid().ToString("N");
        await ops.ResendFailedAsync(Resend("someone-else", reason), Key(), Deadline());
        var entry = (await ops.ListAuditTrailAsync(new ListAuditTrailRequest { PageSize = 500 }, deadline: Deadline())).Entries.Single(e => e.Reason == reason);
        Assert.Equal("ops-wang", entry.Operator);
        Assert.Equal("outbox.resend_failed", entry.Action);
    }

    [Fact]
    public async Task A_certificate_from_another_CA_is_refused_at_the_handshake()
    {
        using var stranger = ClusterTls.Create("stranger CA");
        // Trusts the node's CA, so only the client certificate can fail the handshake.
        var foreign = new ClientTls(stranger.IssueClient(CallerRole.System, "15"), [fx.Tls.Ca]);
        var ex = await Assert.ThrowsAsync<RpcException>(() => new Health.HealthClient(fx.Channel("15", foreign))
            .CheckAsync(new HealthCheckRequest(), deadline: Deadline()).ResponseAsync);
        AssertNoAnswer(ex);
        // A node certificate from a CA the client does not trust fails the handshake on the client side too.
        var wrongTrust = new ClientTls(fx.Tls.IssueClient(CallerRole.System, "15"), [stranger.Ca]);
        ex = await Assert.ThrowsAsync<RpcException>(() => new Health.HealthClient(fx.Channel("15", wrongTrust))
            .CheckAsync(new HealthCheckRequest(), deadline: Deadline()).ResponseAsync);
        AssertNoAnswer(ex);
        Assert.Contains(Chain(ex), e => e is System.Security.Authentication.AuthenticationException);
    }

    /// <summary>
    /// The connection failed before any call reached the node: no status of its own (UNAVAILABLE, or INTERNAL when
    /// TLS 1.3 let the client write before the node's refusal arrived), never PERMISSION_DENIED.
    /// </summary>
    private static void AssertNoAnswer(RpcException ex)
    {
        Assert.True(ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal, $"{ex.StatusCode} {ex.Status.Detail}");
        Assert.Null(ex.GetRpcStatus());
        Assert.NotNull(ex.Status.DebugException); // the client's own transport failure, not a status the node sent
    }

    private static IEnumerable<Exception> Chain(RpcException ex)
    {
        for (var e = ex.Status.DebugException; e is not null; e = e.InnerException) yield return e;
    }
}

public sealed class HandshakeRequiredTests
{
    [Fact]
    public async Task With_Required_a_connection_without_a_client_certificate_fails_at_the_handshake_even_for_health()
    {
        await using var cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = ["15"], PeoplePerProvince = 5, Tls = true, StartSimulators = false,
            NodeSettings = new Dictionary<string, string> { ["Gateway:Tls:Required"] = "true" },
        });
        using var anonymous = ClusterTls.Channel(cluster["15"].Address, cluster.Tls!.Anonymous());
        var ex = await Assert.ThrowsAsync<RpcException>(() => new Health.HealthClient(anonymous)
            .CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(20)).ResponseAsync);
        Assert.True(ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal, $"{ex.StatusCode} {ex.Status.Detail}");
        Assert.Null(ex.GetRpcStatus());
        var reply = await new Health.HealthClient(cluster["15"].Channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(20));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }
}

public sealed class TransportConfigurationTests
{
    private static readonly string[] Required =
    [
        "--Gateway:Province=15", "--ConnectionStrings:Node=Host=127.0.0.1;Port=1", "--Kafka:BootstrapServers=127.0.0.1:1",
        "--Gateway:DirectoryPath=/nonexistent", "--Gateway:Signing:PrivateKeyPath=/nonexistent",
    ];

    [Fact]
    public void A_node_asked_to_serve_plaintext_on_every_address_refuses_to_start()
    {
        var ex = Assert.Throws<NodeConfigurationException>(() => NodeApplication.Build([.. Required, "--urls=http://0.0.0.0:5015"]));
        Assert.Contains("http://0.0.0.0:5015", ex.Message);
        Assert.Contains("Gateway:AllowPlaintext", ex.Message);
        ex = Assert.Throws<NodeConfigurationException>(() => NodeApplication.Build([.. Required, "--Kestrel:Endpoints:Grpc:Url=http://10.1.2.3:5015"]));
        Assert.Contains("http://10.1.2.3:5015", ex.Message);
        ex = Assert.Throws<NodeConfigurationException>(() => NodeApplication.Build([.. Required, "--urls=https://0.0.0.0:5015"]));
        Assert.Contains("Gateway:Tls:Certificate is not set", ex.Message);
    }

    [Fact]
    public void Tls_without_a_client_CA_or_with_a_certificate_that_does_not_load_refuses_to_start()
    {
        using var tls = ClusterTls.Create();
        var (certificate, key) = tls.IssueServer("15");
        var ex = Assert.Throws<NodeConfigurationException>(() => NodeApplication.Build(
            [.. Required, "--urls=https://0.0.0.0:5015", $"--Gateway:Tls:Certificate={certificate}", $"--Gateway:Tls:Key={key}"]));
        Assert.Contains("Gateway:Tls:ClientCa", ex.Message);
        ex = Assert.Throws<NodeConfigurationException>(() => NodeApplication.Build(
            [.. Required, "--urls=https://0.0.0.0:5015", $"--Gateway:Tls:Certificate={tls.CaPath}", $"--Gateway:Tls:ClientCa={tls.CaPath}"]));
        Assert.Contains("Gateway:Tls:Certificate", ex.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5015", false, true)]
    [InlineData("http://localhost:5015", false, true)]
    [InlineData("http://[::1]:5015", false, true)]
    [InlineData("http://0.0.0.0:5015", false, false)]
    [InlineData("http://*:5015", false, false)]
    [InlineData("http://+:5015", false, false)]
    [InlineData("http://[::]:5015", false, false)]
    [InlineData("http://node15.internal:5015", false, false)]
    [InlineData("http://0.0.0.0:5015", true, true)]
    public void Plaintext_is_served_only_on_loopback_unless_allowed(string address, bool allowPlaintext, bool accepted)
    {
        var problems = TransportSecurity.CheckAddresses([address], new TlsOptions { AllowPlaintext = allowPlaintext });
        Assert.Equal(accepted, problems.Count == 0);
    }

    [Fact]
    public void Kafka_tls_and_sasl_settings_reach_the_producer_and_the_consumer_unchanged()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = "kafka-1.exchange.internal:9093",
            ["Kafka:Settings:security.protocol"] = "SASL_SSL",
            ["Kafka:Settings:ssl.ca.location"] = "/etc/gateway/kafka/ca.pem",
            ["Kafka:Settings:ssl.certificate.location"] = "/etc/gateway/kafka/node15.pem",
            ["Kafka:Settings:ssl.key.location"] = "/etc/gateway/kafka/node15.key",
            ["Kafka:Settings:sasl.mechanisms"] = "SCRAM-SHA-512",
            ["Kafka:Settings:sasl.username"] = "gateway-node-15",
            ["Kafka:Settings:sasl.password"] = "s3cret",
        };
        var kafka = NodeApplication.KafkaOptionsFrom(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        var producer = kafka.CreateProducerConfig().ToDictionary(kv => kv.Key, kv => kv.Value);
        var consumer = kafka.CreateConsumerConfig("gateway-node-15").ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (key, value) in settings.Where(kv => kv.Key.StartsWith("Kafka:Settings:", StringComparison.Ordinal)))
        {
            var name = key["Kafka:Settings:".Length..];
            Assert.Equal(value, producer[name]);
            Assert.Equal(value, consumer[name]);
        }
        var line = kafka.Describe();
        Assert.Contains("security.protocol=SASL_SSL", line);
        Assert.Contains("sasl.mechanisms=SCRAM-SHA-512", line);
        Assert.DoesNotContain("s3cret", line);
        Assert.Contains("PLAINTEXT on loopback", Gateway.Messaging.KafkaOptions.ForEmbeddedBroker("127.0.0.1:9").Describe());
    }
}
