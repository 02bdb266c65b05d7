using CsCheck;
using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.Harness.BadInput;
using Gateway.ProvinceSimulator;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Npgsql;

namespace Gateway.Node.Tests;

/// <summary>Two quiet nodes with no province systems, so that any row that changes was changed by the call under test.</summary>
public sealed class QuietClusterFixture : IAsyncLifetime
{
    public GatewayCluster Cluster { get; private set; } = null!;
    public TransferDriver Driver { get; private set; } = null!;
    public Certificate Certificate { get; private set; } = null!;
    public SubmitApplicationRequest Application { get; private set; } = null!;
    public string TransferId { get; private set; } = "";
    public string PendingItemId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions { Provinces = ["15", "51"], StartSimulators = false, PeoplePerProvince = 10 });
        Driver = new TransferDriver(Cluster);
        // Valid requests the properties mutate: a certificate for a second person, an application on it, and a
        // transfer whose origin check waits unanswered.
        var first = Driver.PickPerson("15", EnrolmentState.Suspended);
        var second = Driver.PickPerson("15", EnrolmentState.Suspended);
        var issued = await Driver.IssueCertificateAsync("15", first, TransferDriver.Today);
        TransferId = (await Driver.SubmitAsync("51", issued, TransferDriver.Today)).TransferId;
        PendingItemId = $"{TransferId}:check-origin";
        Certificate = new ProvinceDocuments(Cluster["15"].Registry.Profile).BuildCertificate(second, null, TransferDriver.Today);
        Application = Driver.BuildApplication("51", await Driver.IssueCertificateAsync("15", second, TransferDriver.Today), TransferDriver.Today);
        await WaitQuietAsync();
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    /// <summary>Rows of both nodes that any effect would touch, as one comparable value.</summary>
    public async Task<string> FingerprintAsync()
    {
        var parts = new List<string>();
        foreach (var province in new[] { "15", "51" })
        {
            await using var conn = new NpgsqlConnection(Cluster[province].ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("""
                SELECT concat_ws('/', (SELECT count(*) FROM transfers), (SELECT coalesce(sum(version), 0) FROM transfers),
                    (SELECT count(*) FROM certificates), (SELECT count(*) FROM certificates WHERE status = 'live'),
                    (SELECT coalesce(sum(last_no), 0) FROM document_numbers_used), (SELECT count(*) FROM outbox),
                    (SELECT count(*) FROM work_items), (SELECT count(*) FROM work_items WHERE status <> 'pending'),
                    (SELECT count(*) FROM idempotency_keys), (SELECT count(*) FROM dead_letters), (SELECT count(*) FROM transfer_timeline))
                """, conn);
            parts.Add($"{province}:{await cmd.ExecuteScalarAsync()}");
        }
        return string.Join(" ", parts);
    }

    private async Task WaitQuietAsync()
    {
        // The letter, the origin's check item and the receipts settle within a few seconds; then nothing moves.
        await using (var conn = new NpgsqlConnection(Cluster["15"].ConnectionString))
        {
            await conn.OpenAsync();
            for (var i = 0; i < 600; i++)
            {
                await using var cmd = new NpgsqlCommand("SELECT count(*) FROM work_items WHERE item_id = @id", conn);
                cmd.Parameters.AddWithValue("id", PendingItemId);
                if ((long)(await cmd.ExecuteScalarAsync())! == 1) break;
                await Task.Delay(100);
            }
        }
        var last = "";
        for (var stable = 0; stable < 10;)
        {
            await Task.Delay(200);
            var now = await FingerprintAsync();
            stable = now == last ? stable + 1 : 0;
            last = now;
        }
    }
}

/// <summary>
/// Generated bad input for every mutating call, the batch start calls' entries included (DESIGN: trust nothing at a boundary). Each case starts from a valid
/// request and breaks it in one to three ways that make it invalid whatever else it holds; the node must answer with
/// a clear status (never OK, INTERNAL or UNKNOWN), change no row in either node, and stay healthy.
/// </summary>
public sealed class BadInputPropertyTests(QuietClusterFixture fx) : IClassFixture<QuietClusterFixture>
{
    private static readonly StatusCode[] Clear = [StatusCode.InvalidArgument, StatusCode.FailedPrecondition, StatusCode.NotFound, StatusCode.ResourceExhausted, StatusCode.PermissionDenied];

    [Fact]
    public Task IssueCertificate_refuses_generated_bad_input_clearly_and_changes_nothing() =>
        RunAsync(new IssueCertificateRequest { Certificate = fx.Certificate }, 700,
            (request, key) => fx.Driver.Client("15").IssueCertificateAsync(request, key).ResponseAsync);

    [Fact]
    public Task SubmitApplication_refuses_generated_bad_input_clearly_and_changes_nothing() =>
        RunAsync(fx.Application, 900, (request, key) => fx.Driver.Client("51").SubmitApplicationAsync(request, key).ResponseAsync);

    [Fact]
    public Task IssueCertificates_batch_refuses_generated_bad_entries_clearly_and_changes_nothing() =>
        RunAsync(new IssueCertificateRequest { Certificate = fx.Certificate }, 300, async (request, key) =>
        {
            var batch = new IssueCertificatesRequest { Entries = { new IssueCertificatesRequest.Types.Entry { IdempotencyKey = EntryKey(key), Request = request } } };
            var result = (await fx.Driver.Client("15").IssueCertificatesAsync(batch)).Results.Single();
            if (result.Error is { } error) throw error.ToRpcException();
        });

    [Fact]
    public Task SubmitApplications_batch_refuses_generated_bad_entries_clearly_and_changes_nothing() =>
        RunAsync(fx.Application, 300, async (request, key) =>
        {
            var batch = new SubmitApplicationsRequest { Entries = { new SubmitApplicationsRequest.Types.Entry { IdempotencyKey = EntryKey(key), Request = request } } };
            var result = (await fx.Driver.Client("51").SubmitApplicationsAsync(batch)).Results.Single();
            if (result.Error is { } error) throw error.ToRpcException();
        });

    /// <summary>A batch entry carries its key in the body; the generated header key (sometimes too long) goes there.</summary>
    private static string EntryKey(Metadata headers) => headers.GetValue("idempotency-key") ?? "";

    [Fact]
    public Task WithdrawTransfer_refuses_generated_bad_input_clearly_and_changes_nothing() =>
        RunAsync(new WithdrawTransferRequest { TransferId = fx.TransferId, Reason = "the person changed their mind" }, 400,
            (request, key) => fx.Driver.Client("51").WithdrawTransferAsync(request, key).ResponseAsync,
            extra: [Gen.Const<Func<WithdrawTransferRequest, string>>(r => { r.TransferId = $"51T{Guid.NewGuid():N}"; return "transfer_id: unknown"; })]);

    [Fact]
    public Task AnswerWorkItem_refuses_generated_bad_input_clearly_and_changes_nothing() =>
        RunAsync(ValidAnswer, 500,
            (request, key) => new WorkItemService.WorkItemServiceClient(fx.Cluster["15"].Channel).AnswerWorkItemAsync(request, key).ResponseAsync,
            extra: AnswerBreaks);

    [Fact]
    public Task ExchangeWorkItems_answers_refuse_generated_bad_input_clearly_and_change_nothing() =>
        RunAsync(ValidAnswer, 300, async (request, key) =>
        {
            // A stream per case: a message over the body limit ends the whole stream (RESOURCE_EXHAUSTED), as gRPC does.
            using var call = new WorkItemService.WorkItemServiceClient(fx.Cluster["15"].Channel).ExchangeWorkItems();
            await call.RequestStream.WriteAsync(new WorkItemClientMessage { Subscribe = new SubscribeWorkItemsRequest { Subscriber = "bad-input" } });
            var message = new WorkItemClientMessage { Answer = new KeyedAnswer { IdempotencyKey = EntryKey(key), Answer = request } };
            if (message.CalculateSize() > Gateway.Node.Grpc.RequestBounds.MaxMessageBytes)
            {
                // Over the body limit the node resets the stream while the client is still sending, so the client may see
                // CANCELLED rather than the RESOURCE_EXHAUSTED the node ends the call with; either way nothing was read.
                var aborted = await Assert.ThrowsAsync<RpcException>(async () =>
                {
                    await call.RequestStream.WriteAsync(message);
                    while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
                });
                Assert.Contains(aborted.StatusCode, new[] { StatusCode.ResourceExhausted, StatusCode.Cancelled });
                throw new RpcException(new global::Grpc.Core.Status(StatusCode.ResourceExhausted, "over the body limit"));
            }
            await call.RequestStream.WriteAsync(message);
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
                if (call.ResponseStream.Current.Result is { } result)
                {
                    Assert.Equal(EntryKey(key), result.IdempotencyKey);
                    if (result.Error is { } error) throw error.ToRpcException();
                    return;
                }
            throw new InvalidOperationException("The stream ended before the answer's result.");
        }, extra: AnswerBreaks);

    private AnswerWorkItemRequest ValidAnswer => new()
    {
        ItemId = fx.PendingItemId, OriginEnrolment = new OriginEnrolmentAnswer { Status = EnrolmentStatus.Suspended, Remarks = "checked" },
    };

    private Gen<Func<AnswerWorkItemRequest, string>>[] AnswerBreaks =>
    [
        Gen.Const<Func<AnswerWorkItemRequest, string>>(r => { r.CreditBalance = new CreditBalanceAnswer { CreditedAmountFen = 1 }; return "answer: wrong kind"; }),
        Gen.Const<Func<AnswerWorkItemRequest, string>>(r => { r.ItemId = $"{fx.TransferId}:no-such-step"; return "item_id: unknown"; }),
        Gen.Int[5, 1000].Select<int, Func<AnswerWorkItemRequest, string>>(v => r => { r.OriginEnrolment = new OriginEnrolmentAnswer { Status = (EnrolmentStatus)v }; return $"status: {v}"; }),
    ];

    private async Task RunAsync<T>(T valid, int cases, Func<T, Metadata, Task> call, Gen<Func<T, string>>[]? extra = null)
        where T : class, IMessage<T>
    {
        var before = await fx.FingerprintAsync();
        var fieldCount = Fields(valid.Clone()).Count;
        var breakField = Gen.Select(Gen.Int[0, fieldCount - 1], Gen.Int[0, 9], Gen.Int[0, 1_000_000])
            .Select<(int, int, int), Func<T, string>>(t => request => Break(FieldsOf(request)[t.Item1], t.Item2, t.Item3));
        var oneBreak = extra is { Length: > 0 } ? Gen.Frequency((4, breakField), (1, Gen.OneOf(extra))) : breakField;
        var gen = Gen.Select(oneBreak.Array[1, 3], Gen.Int[0, 19]);
        var count = 0;

        await gen.SampleAsync(async (breaks, keyChoice) =>
        {
            var request = valid.Clone();
            _fields = (request, Fields(request)); // taken once: a break that clears a message must not shift the others
            var what = string.Join("; ", breaks.Select(b => b(request)));
            var key = keyChoice == 0 ? TransferDriver.Key(new string('k', 201)) : TransferDriver.Key();
            var ex = await Assert.ThrowsAsync<RpcException>(() => call(request, key));
            Assert.True(Clear.Contains(ex.StatusCode), $"{what}: {ex.StatusCode} {ex.Status.Detail}");
            if (ex.StatusCode == StatusCode.InvalidArgument)
                Assert.NotEmpty(ex.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations ?? []);
            Assert.True(ex.Status.Detail.Length < 4_000, $"{what}: the message echoes its input ({ex.Status.Detail.Length} chars)");
            Assert.Equal(before, await fx.FingerprintAsync());
            if (++count % 100 == 0) await AssertServingAsync();
        }, iter: cases, threads: 1);
        await AssertServingAsync();
    }

    private async Task AssertServingAsync()
    {
        foreach (var province in new[] { "15", "51" })
        {
            var reply = await new Health.HealthClient(fx.Cluster[province].Channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
        }
    }

    private (IMessage Request, List<FieldRef> Fields) _fields;

    private List<FieldRef> FieldsOf(IMessage request) => ReferenceEquals(_fields.Request, request) ? _fields.Fields : Fields(request);

    // The breaks are the bad-input run's (Gateway.Harness.BadInput.RequestBreaker): one definition of "invalid whatever else".
    private static List<FieldRef> Fields(IMessage message) => RequestBreaker.Fields(message);

    private static string Break(FieldRef f, int how, int n) => RequestBreaker.Break(f, how, n);
}
