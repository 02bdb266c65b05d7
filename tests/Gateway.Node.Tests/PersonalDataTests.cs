using System.Collections.Concurrent;
using System.Text;
using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gateway.Node.Tests;

/// <summary>Every line the in-process nodes log, at every level, with its exception and structured values.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Capture(this, categoryName);

    public void Dispose() { }

    private sealed class Capture(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            owner.Lines.Enqueue($"{category} scope: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} | {values} | {exception}");
        }
    }
}

public sealed class PersonalDataClusterFixture : IAsyncLifetime
{
    public CapturedLogs Logs { get; } = new();
    public GatewayCluster Cluster { get; private set; } = null!;
    public TransferDriver Driver { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = ["15", "51"], PeoplePerProvince = 40, NodeLogLevel = "Debug", NodeLogs = Logs,
        });
        Driver = new TransferDriver(Cluster);
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }
}

/// <summary>
/// Identity numbers, names, phones and addresses never leave their records in clear: not in what the nodes log (at
/// Debug, exceptions included), not in the errors bad calls get back, not in Redis. The people are the synthetic
/// registries' own, so every value the exchange carried is known and searched for.
/// </summary>
public sealed class PersonalDataTests(PersonalDataClusterFixture fx) : IClassFixture<PersonalDataClusterFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Transfers_refusals_and_bad_calls_leave_no_personal_data_in_logs_errors_or_redis()
    {
        var used = new List<SyntheticPerson>();
        for (var i = 0; i < 3; i++)
        {
            var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
            used.Add(person);
            await fx.Driver.RunAsync("15", "51", person, TransferDriver.Today, Timeout);
        }
        var active = fx.Driver.PickPerson("15", EnrolmentState.Active); // the origin returns this letter
        used.Add(active);
        var (returned, _) = await fx.Driver.RunAsync("15", "51", active, TransferDriver.Today, Timeout);
        Assert.Equal(TransferState.LetterReturned, returned.State);

        // Bad calls that carry a person: a wrong check character, a name over its bound, an application naming another person.
        var errors = new List<string>();
        async Task RefusedAsync(Func<Task> call)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(call);
            errors.Add($"{ex.Status.Detail} {string.Join(" ", ex.Trailers.Select(t => t.IsBinary ? Encoding.UTF8.GetString(t.ValueBytes) : t.Value))}");
        }
        var docs = new ProvinceDocuments(fx.Cluster["15"].Registry.Profile);
        var victim = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        used.Add(victim);
        var wrongCheck = docs.BuildCertificate(victim, null, TransferDriver.Today);
        wrongCheck.Person.Certno = victim.IdentityNumber[..17] + (victim.IdentityNumber[17] == '1' ? '2' : '1');
        await RefusedAsync(() => fx.Driver.Client("15").IssueCertificateAsync(new IssueCertificateRequest { Certificate = wrongCheck }, TransferDriver.Key()).ResponseAsync);
        var longName = docs.BuildCertificate(victim, null, TransferDriver.Today);
        longName.Person.PsnName = victim.Name + new string('张', 100);
        await RefusedAsync(() => fx.Driver.Client("15").IssueCertificateAsync(new IssueCertificateRequest { Certificate = longName }, TransferDriver.Key()).ResponseAsync);
        var certificate = await fx.Driver.IssueCertificateAsync("15", victim, TransferDriver.Today);
        var other = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        used.Add(other);
        var mismatched = fx.Driver.BuildApplication("51", certificate, TransferDriver.Today);
        mismatched.Application.Person = other.ToProto();
        await RefusedAsync(() => fx.Driver.Client("51").SubmitApplicationAsync(mismatched, TransferDriver.Key()).ResponseAsync);
        await RefusedAsync(() => fx.Driver.Client("51").SubmitApplicationAsync(mismatched, TransferDriver.Key()).ResponseAsync);

        var secrets = used.SelectMany(p => new[] { p.IdentityNumber, p.Name, p.Phone, p.HouseholdAddress })
            .Concat([wrongCheck.Person.Certno, longName.Person.PsnName]).Where(s => s.Length >= 2).Distinct().ToList();
        // The nodes did log about these very exchanges (the origin logs the returned letter by transfer id).
        Assert.Contains(fx.Logs.Lines, l => l.Contains(returned.TransferId, StringComparison.Ordinal));
        foreach (var line in fx.Logs.Lines)
            foreach (var secret in secrets)
                Assert.False(line.Contains(secret, StringComparison.Ordinal), $"a node logged personal data: {line}");
        foreach (var error in errors)
            foreach (var secret in secrets)
                Assert.False(error.Contains(secret, StringComparison.Ordinal), $"an error carried personal data: {error}");

        // Redis holds hashed keys and encrypted responses only.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fx.Cluster.Redis!.Endpoint);
        var server = redis.GetServer(fx.Cluster.Redis.Endpoint);
        var db = redis.GetDatabase();
        var keys = server.Keys(pattern: "*", pageSize: 500).ToList();
        Assert.NotEmpty(keys);
        var needles = secrets.Select(Encoding.UTF8.GetBytes).ToList();
        foreach (var key in keys)
        {
            var blobs = new List<byte[]> { (byte[])key! };
            switch (await db.KeyTypeAsync(key))
            {
                case RedisType.String: blobs.Add((byte[])(await db.StringGetAsync(key))!); break;
                case RedisType.Hash: blobs.AddRange((await db.HashGetAllAsync(key)).SelectMany(e => new[] { (byte[])e.Name!, (byte[])e.Value! })); break;
            }
            foreach (var blob in blobs)
                foreach (var needle in needles)
                    Assert.False(blob.AsSpan().IndexOf(needle) >= 0, $"Redis key {key} holds personal data");
        }
    }
}
