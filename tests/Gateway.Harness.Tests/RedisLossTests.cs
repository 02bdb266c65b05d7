using Gateway.Contracts.Transfer.V1;
using Gateway.ProvinceSimulator;
using Grpc.Core;
using StackExchange.Redis;
using static Gateway.Harness.Tests.ProcessClusterFixture;

namespace Gateway.Harness.Tests;

/// <summary>Redis is only the fast path: with every key flushed, PostgreSQL still answers a retry (DESIGN §6.1: gRPC → node).</summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class RedisLossTests(ProcessClusterFixture fx)
{
    private static DateOnly Today => TransferDriver.Today;

    [Fact]
    public async Task Redis_flushed_between_call_and_retry_still_acts_once()
    {
        var redisServer = fx.Cluster.Redis ?? throw new InvalidOperationException("This test needs the cluster's redis-server.");
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"{redisServer.Endpoint},allowAdmin=true");
        var person = fx.Driver.PickPerson(Origin, EnrolmentState.Suspended);

        // Certificate at the origin.
        var issue = new IssueCertificateRequest { Certificate = new ProvinceDocuments(fx.Cluster[Origin].Registry.Profile).BuildCertificate(person, null, Today) };
        var issueKey = $"issue-{Guid.NewGuid():N}";
        var issued = await fx.Driver.Client(Origin).IssueCertificateAsync(issue, TransferDriver.Key(issueKey));
        // Redis key names are keyed hashes of the idempotency key (no plain key in Redis), so look for the origin's prefix.
        Assert.NotEmpty(await OriginKeysAsync(redis));

        await FlushAsync(redis);
        var issuedAgain = await fx.Driver.Client(Origin).IssueCertificateAsync(issue, TransferDriver.Key(issueKey));

        Assert.Equal(issued.Number, issuedAgain.Number);
        Assert.Equal(issued, issuedAgain);
        Assert.Equal(1, await fx.Db(Origin).CountAsync("SELECT count(*) FROM certificates WHERE certno = @c", ("c", person.IdentityNumber)));
        // The answer from PostgreSQL is put back on the fast path.
        Assert.NotEmpty(await OriginKeysAsync(redis));

        // Application at the destination: one transfer, one contact letter.
        var submit = fx.Driver.BuildApplication(Destination, issued, Today);
        var submitKey = $"submit-{Guid.NewGuid():N}";
        var accepted = await fx.Driver.Client(Destination).SubmitApplicationAsync(submit, TransferDriver.Key(submitKey));

        await FlushAsync(redis);
        var acceptedAgain = await fx.Driver.Client(Destination).SubmitApplicationAsync(submit, TransferDriver.Key(submitKey));

        Assert.Equal(accepted.TransferId, acceptedAgain.TransferId);
        var db = fx.Db(Destination);
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM transfers WHERE certificate_number = @n", ("n", issued.Number)));
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM outbox WHERE message_type = 'ContactLetterSent' AND correlation_id = @id", ("id", accepted.TransferId)));
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM idempotency_keys WHERE key = @k", ("k", submitKey)));

        // Still no way around the key: the same key with another request is refused even with Redis empty.
        await FlushAsync(redis);
        var other = submit.Clone();
        other.HandlerPhone += "9";
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            fx.Driver.Client(Destination).SubmitApplicationAsync(other, TransferDriver.Key(submitKey)).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("different request", refused.Status.Detail);
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM transfers WHERE certificate_number = @n", ("n", issued.Number)));

        await fx.Driver.WaitForStateAsync(Destination, accepted.TransferId, TimeSpan.FromSeconds(60), TransferState.Completed);
    }

    private static async Task<List<RedisKey>> OriginKeysAsync(ConnectionMultiplexer redis)
    {
        var keys = new List<RedisKey>();
        await foreach (var key in redis.GetServers().Single().KeysAsync(pattern: $"gw:{Origin}:idem:*")) keys.Add(key);
        return keys;
    }

    private static async Task FlushAsync(ConnectionMultiplexer redis)
    {
        var server = redis.GetServers().Single();
        await server.FlushAllDatabasesAsync();
        Assert.Equal(0, await server.DatabaseSizeAsync());
    }
}
