using Gateway.Idempotency;
using Gateway.Messaging;
using Gateway.Messaging.Signing;
using Gateway.Node.Exchange;
using Gateway.Node.Grpc;
using Gateway.Node.Idempotency;
using Gateway.Node.Infrastructure;
using Gateway.Node.Ops;
using Gateway.Node.Sync;
using Gateway.Node.Sync.Filings;
using Gateway.Node.Sync.Filings.Calls;
using Gateway.Node.Sync.Filings.Inbound;
using Gateway.Node.Sync.Enrolment;
using Gateway.Node.Transfers;
using Gateway.Node.Transfers.Calls;
using Gateway.Node.Transfers.Inbound;
using Gateway.Node.Sync.Backfill;
using Gateway.Node.Telemetry;
using Gateway.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Node;

/// <summary>
/// Builds one province's node. Kept out of Program.cs so tests and the demo host it in-process.
/// Configuration: Gateway:Province, ConnectionStrings:Node, Kafka:BootstrapServers (+ Kafka:Settings),
/// Redis:Configuration (empty: in-memory fast path, said at start-up).
/// </summary>
public static class NodeApplication
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        // HTTPS with client certificates when Gateway:Tls is set; plaintext h2c only on loopback (docs/security.md).
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.ConfigureEndpointDefaults(e => e.Protocols = HttpProtocols.Http2);
            // Bounded flow-control windows and streams: the pinned buffers Kestrel keeps per connection follow these,
            // and a peer flooding near-limit bodies otherwise grew a node by hundreds of MiB (docs/benchmarks.md).
            k.Limits.Http2.InitialStreamWindowSize = 64 * 1024;
            k.Limits.Http2.InitialConnectionWindowSize = 256 * 1024;
            k.Limits.Http2.MaxStreamsPerConnection = 64;
        });
        builder.Services.AddGrpc(o =>
        {
            o.Interceptors.Add<Telemetry.CallTelemetryInterceptor>(); // outermost: sees the status each call ends with
            o.Interceptors.Add<ErrorInterceptor>();
            o.Interceptors.Add<CallerRoleInterceptor>(); // the caller's certificate first: nothing else runs for a caller refused
            o.Interceptors.Add<RequestBoundsInterceptor>(); // inside ErrorInterceptor, before every handler
            o.Interceptors.Add<AdmissionInterceptor>(); // after the bounds: bad input is refused without taking a slot
            o.Interceptors.Add<OutboxHandOffInterceptor>(); // innermost: sees exactly what the call committed
            o.MaxReceiveMessageSize = RequestBounds.MaxMessageBytes; // larger bodies: RESOURCE_EXHAUSTED, never decoded
        });
        builder.Services.AddGrpcReflection();
        var health = builder.Services.AddGrpcHealthChecks()
            .AddCheck("node", () => HealthCheckResult.Healthy());
        configure?.Invoke(builder);

        RequireConfiguration(builder.Configuration);
        TransportSecurity.Configure(builder);
        AddExchange(builder);
        builder.AddGatewayTelemetry(); // traces, metrics, logs with trace ids; OTLP only when configured
        health.AddCheck<DatabaseHealthCheck>("database");
        health.AddCheck<InboxHealthCheck>("inbox");

        builder.Services.UseGuardedRequestDecoding(); // after every AddGrpc: undecodable bodies are INVALID_ARGUMENT
        var app = builder.Build();
        // Loaded now, not on first use: a directory or key that does not load stops the node before it serves.
        app.Services.GetRequiredService<TrustDirectorySource>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.MapGrpcService<TransferGrpcService>();
        app.MapGrpcService<WorkItemGrpcService>();
        app.MapGrpcService<BackfillGrpcService>();
        app.MapGrpcService<FilingGrpcService>();
        app.MapGrpcService<RecordWatchGrpcService>();
        app.MapGrpcService<EnrolmentGrpcService>();
        app.MapGrpcService<OpsGrpcService>();
        return app;
    }

    /// <summary>One handler per call and per inbound message type; the dispatcher finds inbound ones by message type.</summary>
    private static void AddTransferHandlers(IServiceCollection services)
    {
        services.AddSingleton<TransferSteps>();
        services.AddSingleton<DocumentNumbers>();
        services.AddSingleton<IssueCertificateHandler>();
        services.AddSingleton<SubmitApplicationHandler>();
        services.AddSingleton<WithdrawTransferHandler>();
        services.AddSingleton<AnswerWorkItemHandler>();
        services.AddSingleton<StreamAnswerIdempotency>();
        services.AddSingleton<AnswerBatch>(); // many stream answers per transaction
        services.AddSingleton<OriginEnrolmentAnswerHandler>();
        services.AddSingleton<InformationTableAnswerHandler>();
        services.AddSingleton<CreditBalanceAnswerHandler>();
        services.AddSingleton<IInboundHandler, ContactLetterHandler>();
        services.AddSingleton<IInboundHandler, LetterReturnedHandler>();
        services.AddSingleton<IInboundHandler, InformationTableHandler>();
        services.AddSingleton<IInboundHandler, TransferCompletedHandler>();
        services.AddSingleton<IInboundHandler, WithdrawalRequestedHandler>();
        services.AddSingleton<IInboundHandler, WithdrawalAnsweredHandler>();
        services.AddSingleton<InboundDispatcher>();
        AddBackfill(services);
        services.AddSingleton<ReceiptHandler>();
        services.AddSingleton<InboundApply>(); // the inbox's and the operators' re-apply's one path
    }

    /// <summary>Backfill: the owner's page source and the requester's sink come from each kind of synced record.</summary>
    private static void AddBackfill(IServiceCollection services)
    {
        services.AddSingleton<BackfillStarter>();
        services.AddSingleton<StartBackfillHandler>();
        services.AddSingleton<IInboundHandler, BackfillRequestedHandler>();
        services.AddSingleton<IInboundHandler, BackfillPageHandler>();
    }

    /// <summary>Record sync of filings: the owner's calls, the province of care's inbound handler, the change-log signal.</summary>
    private static void AddFilingHandlers(IServiceCollection services)
    {
        services.AddSingleton<RecordChangeSignal>();
        services.AddSingleton<FilingSteps>();
        services.AddSingleton<CreateFilingHandler>();
        services.AddSingleton<ChangeFilingHandler>();
        services.AddSingleton<SuspendFilingHandler>();
        services.AddSingleton<ResumeFilingHandler>();
        services.AddSingleton<TerminateFilingHandler>();
        services.AddSingleton<GetFilingHandler>();
        services.AddSingleton<ListFilingsHandler>();
        services.AddSingleton<GetPersonFilingsHandler>();
        services.AddSingleton<IInboundHandler, FilingChangedHandler>();
        services.AddSingleton<IBackfillSource, FilingBackfillSource>();
        services.AddSingleton<IBackfillSink, FilingBackfillSink>();
    }

    /// <summary>The operators' service (issue 11): one handler per call; the re-apply shares the inbox's apply path.</summary>
    private static void AddOps(IServiceCollection services)
    {
        services.AddSingleton<DeadLetterReapplier>();
        services.AddSingleton<ListExchangesHandler>();
        services.AddSingleton<ListDeadLettersHandler>();
        services.AddSingleton<CountConditionsHandler>();
        services.AddSingleton<GetExchangeStoryHandler>();
        services.AddSingleton<ListAuditTrailHandler>();
        services.AddSingleton<ResendOutboundHandler>();
        services.AddSingleton<ResendFailedHandler>();
        services.AddSingleton<ReapplyDeadLetterHandler>();
        services.AddSingleton<ReapplyDeadLettersHandler>();
        services.AddSingleton<MarkNeverRerunHandler>();
        services.AddSingleton<RedeliverWorkItemHandler>();
        services.AddSingleton<ReleaseHoldHandler>();
        services.AddSingleton<CancelExchangeHandler>();
        services.AddSingleton<StartResendJobHandler>();
        services.AddSingleton<ResendJobStateHandler>();
        services.AddSingleton<ResendJobReadHandler>();
        services.AddSingleton<RefusedActionAudit>();
        services.AddSingleton<ResendJobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<ResendJobRunner>());
        services.AddSingleton<ListMessageLogHandler>();
        services.AddSingleton<ListMessageLogHeadsHandler>();
        services.AddSingleton<ExportExchangeLogHandler>();
    }

    /// <summary>Applies migrations, then starts serving. Use instead of RunAsync/StartAsync.</summary>
    public static async Task StartNodeAsync(this WebApplication app, CancellationToken ct = default)
    {
        var db = app.Services.GetService<NodeDatabase>();
        if (db is not null)
        {
            var applied = await db.MigrateAsync(ct);
            app.Logger.LogInformation("Schema ready ({Applied} migration(s) applied now)", applied.Count);
            // The first migration ran now: the database is new or was wiped, so whatever others hold for us is missing.
            if (applied.Contains(1) && app.Services.GetRequiredService<IOptions<NodeOptions>>().Value.BackfillOnNewDatabase)
                await StartFirstBackfillAsync(app, db, ct);
        }
        if (app.Services.GetService<TrustDirectorySource>() is { Options.Disabled: true })
            app.Logger.LogWarning("SIGNATURES OFF (Gateway:Signing:Disabled, a measurement on the embedded broker): envelopes are neither signed nor verified");
        app.Logger.LogInformation("{Kafka}", app.Services.GetRequiredService<KafkaOptions>().Describe());
        await app.StartAsync(ct);
        try
        {
            app.Services.GetRequiredService<TransportSecurity>().CheckBound(app);
        }
        catch (NodeConfigurationException)
        {
            await app.StopAsync(CancellationToken.None);
            throw;
        }
    }

    private static async Task StartFirstBackfillAsync(WebApplication app, NodeDatabase db, CancellationToken ct)
    {
        var starter = app.Services.GetRequiredService<BackfillStarter>();
        if (starter.Kinds.Count == 0 || starter.Owners.Count == 0) return;
        var runId = await db.InTransactionAsync((conn, tx, token) =>
            starter.StartAsync(conn, tx, starter.Owners, starter.Kinds, "new database: records held for other provinces fetched from their owners", token), ct);
        app.Logger.LogInformation("New database: backfill {RunId} asks {Owners} province(s) for {Kinds}", runId, starter.Owners.Count,
            string.Join(", ", starter.Kinds));
    }

    /// <summary>
    /// A node without its province, database or broker would serve a health check and nothing else: refuse to start,
    /// naming every missing setting at once.
    /// </summary>
    private static void RequireConfiguration(IConfiguration config)
    {
        var missing = new List<string>();
        var province = config[$"{NodeOptions.Section}:{nameof(NodeOptions.Province)}"];
        if (string.IsNullOrWhiteSpace(province))
            missing.Add("Gateway:Province (the two-digit code of the province this node serves, e.g. 15)");
        else if (!new Gateway.Domain.Values.ProvinceCode(province.Trim()).IsKnown)
            missing.Add($"Gateway:Province: '{province}' is not a known two-digit province code");
        if (string.IsNullOrWhiteSpace(config.GetConnectionString("Node")))
            missing.Add("ConnectionStrings:Node (the node's PostgreSQL store of record)");
        if (string.IsNullOrWhiteSpace(config[$"{KafkaOptions.SectionName}:BootstrapServers"]))
            missing.Add("Kafka:BootstrapServers (the broker list the nodes exchange envelopes through)");
        missing.AddRange(SigningOptionsFrom(config).Missing());
        if (SigningOptionsFrom(config).Disabled && !string.Equals(config[$"{KafkaOptions.SectionName}:EmbeddedBroker"], "true", StringComparison.OrdinalIgnoreCase))
            throw new NodeConfigurationException("Gateway:Signing:Disabled is for measuring the cost of signatures against the embedded broker only; " +
                "a node on a real Kafka cluster always signs and verifies.");
        if (missing.Count > 0)
            throw new NodeConfigurationException("The node cannot start; its configuration lacks: " + string.Join("; ", missing) +
                ". See deploy/node.example.json and docs/architecture.md (Configuration).");
    }

    /// <summary>"Gateway:DirectoryPath" and "Gateway:Signing:*" (docs/security.md).</summary>
    private static SigningOptions SigningOptionsFrom(IConfiguration config)
    {
        var options = new SigningOptions();
        config.GetSection(SigningOptions.Section).Bind(options);
        options.DirectoryPath ??= config[SigningOptions.DirectoryPathSetting];
        return options;
    }

    /// <summary>Envelope signing and verification against the province directory, which is watched for changes.</summary>
    private static void AddSigning(IServiceCollection services, IConfiguration config)
    {
        var options = SigningOptionsFrom(config);
        services.AddSingleton(sp =>
        {
            try
            {
                return new TrustDirectorySource(options, sp.GetRequiredService<NodeIdentity>().Province, sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Signing"));
            }
            catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
            {
                throw new NodeConfigurationException($"The node cannot start: the province directory or its signing key does not load: {ex.Message}");
            }
        });
        services.AddSingleton<EnvelopeSigner>();
        services.AddSingleton(sp => new EnvelopeVerifier(sp.GetRequiredService<TrustDirectorySource>(), sp.GetRequiredService<NodeIdentity>().Province));
    }

    /// <summary>"Kafka:*", with every "Kafka:Settings:&lt;librdkafka key&gt;" (TLS, SASL) passed to the producer and consumer as is.</summary>
    public static KafkaOptions KafkaOptionsFrom(IConfiguration config)
    {
        var kafka = new KafkaOptions();
        config.GetSection(KafkaOptions.SectionName).Bind(kafka);
        return kafka;
    }

    private static void AddExchange(WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var config = builder.Configuration;
        services.AddOptions<NodeOptions>().Bind(config.GetSection(NodeOptions.Section))
            .Validate(o => o.Province is { Length: 2 } p && p.All(char.IsAsciiDigit), "Gateway:Province must be a two-digit province code")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System); // a host (or a test) may bring its own clock
        services.AddSingleton(sp => new NodeIdentity(sp.GetRequiredService<IOptions<NodeOptions>>().Value.Province));
        services.AddSingleton<BusinessClock>();
        services.AddSingleton<ReferenceData>();
        services.AddSingleton<ExchangeMembers>();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<OutboxHandOff>();
        services.AddSingleton<WorkItemSignal>();
        services.AddSingleton<Grpc.StreamShutdown>(); // ends open streams at stop, so Kestrel does not wait out the timeout

        var connectionString = config.GetConnectionString("Node")
            ?? throw new InvalidOperationException("ConnectionStrings:Node is required: the node's PostgreSQL store of record.");
        services.AddSingleton(sp => NodeDatabase.Create(connectionString, logger: sp.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Storage")));
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<NodeOptions>>().Value;
            return new OutboxStore(new RetrySchedule(o.ResendFirstDelay, 2.0, o.ResendMaxDelay, o.ResendBudget));
        });

        var kafka = KafkaOptionsFrom(config);
        kafka.Validate();
        services.AddSingleton(kafka);
        services.AddSingleton(sp => new EnvelopeProducer(kafka, sp.GetRequiredService<ILogger<EnvelopeProducer>>()));
        services.AddSingleton(sp => new InboxConsumer(kafka,
            $"gateway-node-{sp.GetRequiredService<NodeIdentity>().Province}", sp.GetRequiredService<ILogger<InboxConsumer>>()));

        services.AddSingleton<IIdempotencyCache>(sp => IdempotencyCacheFactory.Create(config, sp));
        services.AddSingleton<IdempotentCalls>();
        services.AddSingleton<BatchedCalls>();
        services.AddSingleton<AdmissionInterceptor>(); // one limiter for the node, not one per call
        AddSigning(services, config);
        services.AddSingleton<EnvelopeFactory>();
        services.AddSingleton<TransferViews>();
        services.AddSingleton<InboxHealth>();
        AddTransferHandlers(services);
        AddFilingHandlers(services);
        services.AddEnrolmentSync();
        AddOps(services);
        services.AddHostedService<InboxProcessor>();
        services.AddHostedService<OutboxRelay>();
        services.AddHostedService<ExpiredKeyPurger>();
        services.AddOptions<MessageLogOptions>().Bind(config.GetSection(MessageLogOptions.Section));
        services.AddHostedService<MessageLogSealer>(); // seq and chain hash off the hot path, signed heads
    }
}

/// <summary>The node's configuration is incomplete or wrong; the message names what to set.</summary>
public sealed class NodeConfigurationException(string message) : Exception(message);

/// <summary>The node is healthy only while its store of record answers.</summary>
internal sealed class DatabaseHealthCheck(NodeDatabase db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            await using var cmd = db.DataSource.CreateCommand("SELECT 1");
            await cmd.ExecuteScalarAsync(ct);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL does not answer", ex);
        }
    }
}
