using Gateway.Node.Application;
using System.Collections.Concurrent;
using System.Text;
using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.Idempotency;
using Gateway.Node.Grpc;
using Gateway.Node.Idempotency;
using Gateway.Node.Infrastructure;
using Gateway.ProvinceSimulator;
using Gateway.Storage;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Gateway.Node.Tests;

[Collection(ClusterCollection.Name)]
public sealed class IdempotencyTests(ClusterFixture fx)
{
    [Fact]
    public async Task Same_key_and_same_request_acts_once_and_returns_the_first_response()
    {
        var certificate = await fx.Driver.IssueCertificateAsync("15", fx.Driver.PickPerson("15", EnrolmentState.Suspended), ClusterFixture.Today);
        var request = fx.Driver.BuildApplication("51", certificate, ClusterFixture.Today);
        var key = Guid.NewGuid().ToString("N");

        var first = await fx.Driver.Client("51").SubmitApplicationAsync(request, TransferDriver.Key(key));
        var second = await fx.Driver.Client("51").SubmitApplicationAsync(request, TransferDriver.Key(key));

        Assert.Equal(first.TransferId, second.TransferId);
        Assert.Equal(first, second);
        Assert.Equal(1, await fx.CountAsync("51", "SELECT count(*) FROM transfers WHERE certificate_number = @n", ("n", certificate.Number)));
        Assert.Equal(1, await fx.CountAsync("51", "SELECT count(*) FROM outbox WHERE correlation_id = @id AND message_type = 'ContactLetterSent'", ("id", first.TransferId)));
    }

    [Fact]
    public async Task Same_key_with_a_different_request_is_refused_and_changes_nothing()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var docs = new ProvinceDocuments(fx.Cluster["15"].Registry.Profile);
        var key = Guid.NewGuid().ToString("N");
        var client = fx.Driver.Client("15");
        var first = await client.IssueCertificateAsync(new IssueCertificateRequest { Certificate = docs.BuildCertificate(person, null, ClusterFixture.Today) }, TransferDriver.Key(key));

        var changed = docs.BuildCertificate(person, null, ClusterFixture.Today);
        changed.AccountBalanceFen += 1;
        var ex = await Assert.ThrowsAsync<RpcException>(() => client.IssueCertificateAsync(new IssueCertificateRequest { Certificate = changed }, TransferDriver.Key(key)).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", ErrorDetails.Reason(ex));
        Assert.Equal(1, await fx.CountAsync("15", "SELECT count(*) FROM certificates WHERE certno = @c", ("c", person.IdentityNumber)));
        Assert.False(string.IsNullOrEmpty(first.Number));
    }

    [Fact]
    public async Task Key_reused_error_carries_the_keys_hash_never_the_key()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var docs = new ProvinceDocuments(fx.Cluster["15"].Registry.Profile);
        // Province systems do build keys from identity numbers; the error must not echo them.
        var key = $"issue-{person.IdentityNumber}-{Guid.NewGuid():N}";
        var client = fx.Driver.Client("15");
        await client.IssueCertificateAsync(new IssueCertificateRequest { Certificate = docs.BuildCertificate(person, null, ClusterFixture.Today) }, TransferDriver.Key(key));
        var changed = docs.BuildCertificate(person, null, ClusterFixture.Today);
        changed.AccountBalanceFen += 1;

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.IssueCertificateAsync(new IssueCertificateRequest { Certificate = changed }, TransferDriver.Key(key)).ResponseAsync);

        var info = ex.GetRpcStatus()!.GetDetail<ErrorInfo>()!;
        Assert.Equal(IdempotentCalls.KeyReusedReason, info.Reason);
        Assert.Equal(IdempotencyKeyHash.Of(key), info.Metadata[IdempotentCalls.KeyHashMetadata]);
        var everythingSent = string.Join("\n", new[] { ex.Status.Detail, ex.GetRpcStatus()!.Message }
            .Concat(info.Metadata.Keys).Concat(info.Metadata.Values)
            .Concat(ex.Trailers.Where(t => !t.IsBinary).Select(t => t.Value)));
        Assert.DoesNotContain(key, everythingSent);
        Assert.DoesNotContain(person.IdentityNumber, everythingSent);
    }

    [Fact]
    public async Task Redis_holds_no_plain_key_and_no_identity_number_or_name()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var docs = new ProvinceDocuments(fx.Cluster["15"].Registry.Profile);
        var key = $"issue-{person.IdentityNumber}-{Guid.NewGuid():N}";
        var issued = await fx.Driver.Client("15").IssueCertificateAsync(
            new IssueCertificateRequest { Certificate = docs.BuildCertificate(person, null, ClusterFixture.Today) }, TransferDriver.Key(key));
        Assert.Equal(person.IdentityNumber, issued.Person.Certno);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(fx.Cluster.Redis!.Endpoint);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var db = redis.GetDatabase();
        var names = new List<RedisKey>();
        await foreach (var name in server.KeysAsync(pattern: "*")) names.Add(name);

        Assert.Contains(names, n => n.ToString().StartsWith(RedisIdempotencyCacheOptions.KeyPrefixFor("15"), StringComparison.Ordinal));
        var plain = new[] { key, person.IdentityNumber, person.Name };
        foreach (var name in names)
        {
            foreach (var secret in plain) Assert.DoesNotContain(secret, name.ToString());
            if (await db.KeyTypeAsync(name) != RedisType.String) continue;
            var value = (byte[])(await db.StringGetAsync(name))!;
            foreach (var secret in plain)
                Assert.False(value.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) >= 0, $"Redis value of {name} holds '{secret}' in plain bytes");
        }
    }

    [Fact]
    public async Task A_mutating_call_without_a_key_is_refused_as_invalid()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var docs = new ProvinceDocuments(fx.Cluster["15"].Registry.Profile);
        var ex = await Assert.ThrowsAsync<RpcException>(() => fx.Driver.Client("15")
            .IssueCertificateAsync(new IssueCertificateRequest { Certificate = docs.BuildCertificate(person, null, ClusterFixture.Today) }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("idempotency-key", ErrorDetails.Fields(ex));
    }

    [Fact]
    public async Task Concurrent_calls_with_one_key_act_once()
    {
        var certificate = await fx.Driver.IssueCertificateAsync("15", fx.Driver.PickPerson("15", EnrolmentState.Suspended), ClusterFixture.Today);
        var request = fx.Driver.BuildApplication("51", certificate, ClusterFixture.Today);
        var key = Guid.NewGuid().ToString("N");
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            fx.Driver.Client("51").SubmitApplicationAsync(request, TransferDriver.Key(key)).ResponseAsync));
        Assert.Single(results.Select(r => r.TransferId).Distinct());
        Assert.Equal(1, await fx.CountAsync("51", "SELECT count(*) FROM transfers WHERE certificate_number = @n", ("n", certificate.Number)));
    }

    [Fact]
    public async Task Key_is_absent_in_postgres_and_redis_once_the_node_clock_passes_its_expiry()
    {
        await using var calls = await Calls.StartAsync(fx);
        var key = $"k-{Guid.NewGuid():N}";

        await calls.RunAsync(key, "a");
        calls.Clock.Now += calls.Window + TimeSpan.FromSeconds(1);

        // Neither redis-server's clock nor PostgreSQL's now() has reached the expiry; the node's has.
        Assert.True(await calls.RedisDb.KeyExistsAsync(calls.Cache.ResponseKey(key)));
        Assert.Null(await calls.Cache.GetAsync(key, calls.Clock.Now));
        Assert.Null(await calls.FindAsync(key));
        var again = await calls.RunAsync(key, "a");

        Assert.Equal("effect 2", again.Value);
        Assert.Equal(2, await calls.EffectsAsync(key));
    }

    [Fact]
    public async Task Replay_from_postgres_arms_redis_only_for_the_records_remaining_life()
    {
        await using var calls = await Calls.StartAsync(fx);
        var key = $"k-{Guid.NewGuid():N}";

        await calls.RunAsync(key, "a");
        var record = await calls.FindAsync(key);
        var ttlWhenStored = await calls.PttlAsync(key);
        // Redis lost the key; 20 of the 24 hours later the retry is answered by PostgreSQL.
        await calls.RedisDb.KeyDeleteAsync(calls.Cache.ResponseKey(key));
        calls.Clock.Now += TimeSpan.FromHours(20);
        var replayed = await calls.RunAsync(key, "a");
        var ttlAfterReplay = await calls.PttlAsync(key);

        Assert.Equal("effect 1", replayed.Value);
        Assert.Equal(1, await calls.EffectsAsync(key));
        Assert.InRange(ttlWhenStored, TimeSpan.FromSeconds(1), record!.ExpiresAt - record.CreatedAt);
        Assert.InRange(ttlAfterReplay, TimeSpan.FromSeconds(1), record.ExpiresAt - calls.Clock.Now);
    }

    [Fact]
    public async Task A_call_that_waits_on_another_calls_reservation_acts_never_and_answers_its_first_response()
    {
        await using var calls = await Calls.StartAsync(fx);
        var key = $"issue-150102198803154417-{Guid.NewGuid():N}";
        var request = new StringValue { Value = "a" };
        var winner = new StringValue { Value = "the first response" };
        // Another call with the same key has reserved it and is still running its effect.
        await using var other = await calls.ReserveAsync(key, RequestHash.Compute(Calls.Method, request.ToByteArray()));

        var answer = calls.RunAsync(key, request.Value);
        await Task.Delay(300);
        Assert.False(answer.IsCompleted, "the call waits for the reservation's transaction");
        await other.CommitAsync(winner);

        Assert.Equal(winner, await answer.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, await calls.EffectsAsync(key));
        Assert.Equal(winner.ToByteArray(), (await calls.FindAsync(key))!.Response);
        Assert.Equal(winner.ToByteArray(), (await calls.Cache.GetAsync(key, calls.Clock.Now))!.Response);
        Assert.Contains(calls.Log.Lines, l => l.Contains(IdempotencyKeyHash.ForLog(key)));
        Assert.DoesNotContain(calls.Log.Lines, l => l.Contains(key) || l.Contains("150102198803154417"));
    }

    [Fact]
    public async Task A_call_that_waits_on_a_reservation_that_rolls_back_acts_once_itself()
    {
        await using var calls = await Calls.StartAsync(fx);
        var key = $"k-{Guid.NewGuid():N}";
        var other = await calls.ReserveAsync(key, RequestHash.Compute(Calls.Method, new StringValue { Value = "a" }.ToByteArray()));

        var answer = calls.RunAsync(key, "a");
        await Task.Delay(300);
        await other.DisposeAsync(); // rolls back: the other call failed

        Assert.Equal("effect 1", (await answer.WaitAsync(TimeSpan.FromSeconds(10))).Value);
        Assert.Equal(1, await calls.EffectsAsync(key));
    }

    [Fact]
    public async Task A_call_that_waits_on_another_requests_reservation_is_refused_with_the_keys_hash_and_changes_nothing()
    {
        await using var calls = await Calls.StartAsync(fx);
        var key = $"issue-150102198803154417-{Guid.NewGuid():N}";
        await using var other = await calls.ReserveAsync(key, RequestHash.Compute(Calls.Method, new StringValue { Value = "other" }.ToByteArray()));

        var answer = calls.RunAsync(key, "a");
        await Task.Delay(300);
        await other.CommitAsync(new StringValue { Value = "other's response" });
        var refused = await Assert.ThrowsAsync<RefusedException>(() => answer.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(IdempotentCalls.KeyReusedReason, refused.Reason);
        Assert.Equal(IdempotencyKeyHash.Of(key), refused.Metadata[IdempotentCalls.KeyHashMetadata]);
        Assert.DoesNotContain(refused.Metadata.Values, v => v.Contains("150102198803154417"));
        Assert.DoesNotContain("150102198803154417", refused.Message);
        Assert.Equal(0, await calls.EffectsAsync(key));
        Assert.DoesNotContain(calls.Log.Lines, l => l.Contains("150102198803154417"));
    }

    [Fact]
    public void Redis_response_key_comes_from_configuration_or_is_made_at_start_and_said_so()
    {
        static IConfiguration Config(string? responseKey) => new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [IdempotencyCacheFactory.ResponseKeySetting] = responseKey }).Build();
        var secret = ResponseCipher.NewSecret();
        var log = new LogLines();

        var configured = IdempotencyCacheFactory.ReadResponseKey(Config(Convert.ToBase64String(secret)), log);
        var madeAtStart = IdempotencyCacheFactory.ReadResponseKey(Config(null), log);

        Assert.Equal(secret, configured);
        Assert.Equal(ResponseCipher.SecretLength, madeAtStart.Length);
        Assert.NotEqual(secret, madeAtStart);
        Assert.Single(log.Lines, l => l.Contains(IdempotencyCacheFactory.ResponseKeySetting) && l.Contains("random key"));
        Assert.Throws<InvalidOperationException>(() => IdempotencyCacheFactory.ReadResponseKey(Config(Convert.ToBase64String(new byte[16])), log));
        Assert.Throws<InvalidOperationException>(() => IdempotencyCacheFactory.ReadResponseKey(Config("not base64!"), log));
    }

    /// <summary>
    /// <see cref="IdempotentCalls"/> on its own database of the cluster's PostgreSQL and the cluster's redis-server,
    /// with a node clock the test moves. The effect records itself in <c>idem_effects</c> inside the call's transaction.
    /// </summary>
    private sealed class Calls : IAsyncDisposable
    {
        public const string Method = "/gateway.test.v1.Idempotency/Act";
        private readonly IdempotentCalls _calls;
        private int _effects;

        private Calls(NodeDatabase db, RedisIdempotencyCache cache, ConnectionMultiplexer redis)
        {
            Db = db;
            Cache = cache;
            Redis = redis;
            var options = Options.Create(new NodeOptions { Province = "15" });
            Window = options.Value.IdempotencyWindow;
            _calls = new IdempotentCalls(db, cache, options, new BusinessClock(Clock, options), Log);
        }

        public NodeDatabase Db { get; }
        public RedisIdempotencyCache Cache { get; }
        public ConnectionMultiplexer Redis { get; }
        public IDatabase RedisDb => Redis.GetDatabase();
        // Years from the real clock, so PostgreSQL's now() and Redis's own expiry cannot stand in for the node's clock.
        public ManualClock Clock { get; } = new(new DateTimeOffset(2040, 3, 2, 8, 0, 0, TimeSpan.Zero));
        public TimeSpan Window { get; }
        public LogLines Log { get; } = new();

        public static async Task<Calls> StartAsync(ClusterFixture fx)
        {
            var connectionString = await fx.Cluster.Postgres.CreateDatabaseAsync($"idem_{Guid.NewGuid():N}");
            var db = NodeDatabase.Create(connectionString);
            await db.MigrateAsync();
            await db.WithConnectionAsync(async (c, ct) =>
            {
                await using var cmd = new NpgsqlCommand("CREATE TABLE idem_effects (key text NOT NULL, n int NOT NULL)", c);
                return await cmd.ExecuteNonQueryAsync(ct);
            });
            var endpoint = fx.Cluster.Redis!.Endpoint;
            var cache = await RedisIdempotencyCache.ConnectAsync(new RedisIdempotencyCacheOptions
            {
                Endpoint = endpoint,
                KeyPrefix = $"gw:t{Guid.NewGuid():N}:idem:",
                OperationTimeout = TimeSpan.FromSeconds(5),
            });
            return new Calls(db, cache, await ConnectionMultiplexer.ConnectAsync(endpoint));
        }

        public Task<StringValue> RunAsync(string key, string request) =>
            _calls.RunAsync(new CallContext(key), new StringValue { Value = request }, async (conn, tx, ct) =>
            {
                var n = Interlocked.Increment(ref _effects);
                await using (var cmd = new NpgsqlCommand("INSERT INTO idem_effects (key, n) VALUES (@key, @n)", conn, tx))
                {
                    cmd.Parameters.AddWithValue("key", key);
                    cmd.Parameters.AddWithValue("n", n);
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                return new StringValue { Value = $"effect {n}" };
            });

        /// <summary>Another call's reservation of the key, open until it commits with a response or is disposed (rolled back).</summary>
        public async Task<Reservation> ReserveAsync(string key, byte[] requestHash)
        {
            var conn = await Db.DataSource.OpenConnectionAsync();
            var tx = await conn.BeginTransactionAsync();
            var reserved = await IdempotencyRecordStore.ReserveAsync(conn, tx, key, Method, requestHash, Clock.Now, Clock.Now + Window);
            Assert.True(reserved.Reserved);
            return new Reservation(conn, tx, key);
        }

        public sealed class Reservation(NpgsqlConnection conn, NpgsqlTransaction tx, string key) : IAsyncDisposable
        {
            public async Task CommitAsync(IMessage response)
            {
                await IdempotencyRecordStore.CompleteAsync(conn, tx, key, response.ToByteArray());
                await tx.CommitAsync();
            }

            public async ValueTask DisposeAsync()
            {
                await tx.DisposeAsync();
                await conn.DisposeAsync();
            }
        }

        public Task<IdempotencyRecord?> FindAsync(string key) =>
            Db.WithConnectionAsync((c, ct) => IdempotencyRecordStore.FindAsync(c, null, key, Clock.Now, ct));

        public Task<long> EffectsAsync(string key) =>
            Db.WithConnectionAsync(async (c, ct) =>
            {
                await using var cmd = new NpgsqlCommand("SELECT count(*) FROM idem_effects WHERE key = @key", c);
                cmd.Parameters.AddWithValue("key", key);
                return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
            });

        public async Task<TimeSpan> PttlAsync(string key) =>
            TimeSpan.FromMilliseconds((long)await RedisDb.ExecuteAsync("PTTL", Cache.ResponseKey(key)));

        public async ValueTask DisposeAsync()
        {
            await Cache.DisposeAsync();
            await Redis.DisposeAsync();
            await Db.DisposeAsync();
        }
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>Every log line with its structured values, to check what a log would carry.</summary>
    private sealed class LogLines : ILogger<IdempotentCalls>
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            Lines.Enqueue($"{logLevel} {formatter(state, exception)} {values} {exception}");
        }
    }

    /// <summary>Just enough of a server call for <see cref="IdempotentCalls"/>: its method, its key header, no deadline.</summary>
    private sealed class CallContext(string key) : ServerCallContext
    {
        private readonly Metadata _headers = new() { { IdempotentCalls.HeaderName, key } };

        protected override string MethodCore => Calls.Method;
        protected override string HostCore => "localhost";
        protected override string PeerCore => "ipv4:127.0.0.1:0";
        protected override DateTime DeadlineCore => DateTime.MaxValue;
        protected override Metadata RequestHeadersCore => _headers;
        protected override CancellationToken CancellationTokenCore => CancellationToken.None;
        protected override Metadata ResponseTrailersCore { get; } = [];
        protected override global::Grpc.Core.Status StatusCore { get; set; }
        protected override WriteOptions? WriteOptionsCore { get; set; }
        protected override AuthContext AuthContextCore { get; } = new(null, []);

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
            throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
