using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.Messaging.Signing;
using Gateway.ProvinceSimulator;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Gateway.Node.Tests;

/// <summary>
/// A province rotates its signing key while transfers run both ways through it: every transfer ends, nothing is
/// dead-lettered, and its outbox holds envelopes signed with both keys (the old key stays valid for what it signed).
/// </summary>
[Collection(OpsCollection.Name)]
public sealed class KeyRotationTransferTests(OpsClusterFixture fx)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private TrustDirectorySource Trust(string province) => fx.Cluster[province].Services!.GetRequiredService<TrustDirectorySource>();

    private async Task<long> CountAsync(string province, string sql)
    {
        await using var conn = new NpgsqlConnection(fx.Cluster[province].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Rotating_a_key_while_transfers_are_in_flight_fails_none_of_them()
    {
        var deadAt15 = await CountAsync("15", "SELECT count(*) FROM dead_letters");
        var deadAt51 = await CountAsync("51", "SELECT count(*) FROM dead_letters");
        var previous = fx.Cluster.Keys.Current("51");
        var pairs = Enumerable.Range(0, 10).Select(i => i % 2 == 0 ? ("15", "51") : ("51", "15")).ToList();
        var runs = pairs.Select(async (p, i) =>
        {
            await Task.Delay(i * 400); // spread over the rotation (about 4 s)
            return await fx.Driver.RunAsync(p.Item1, p.Item2, fx.Driver.PickPerson(p.Item1, EnrolmentState.Suspended), TransferDriver.Today, Timeout);
        }).ToList();

        await Task.Delay(400);
        var next = fx.Cluster.Keys.AddKey("51");
        await NodeFaults.PollAsync(async () => { await Task.Yield(); return Trust("15").Current.Directory.Find("51")!.FindKey(next.KeyId); },
            "15 to know 51's new key", Timeout);
        fx.Cluster.Keys.Use("51", next);
        await NodeFaults.PollAsync(async () => { await Task.Yield(); return Trust("51").Current.SigningKey.KeyId == next.KeyId ? "" : null; },
            "51 to sign with its new key", Timeout);

        var ended = await Task.WhenAll(runs);
        Assert.All(ended, r => Assert.Contains(r.Destination.State, new[] { TransferState.Completed }));
        Assert.Equal(deadAt15, await CountAsync("15", "SELECT count(*) FROM dead_letters"));
        Assert.Equal(deadAt51, await CountAsync("51", "SELECT count(*) FROM dead_letters"));

        await using var conn = new NpgsqlConnection(fx.Cluster["51"].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT payload FROM outbox WHERE correlation_id = ANY(@ids)", conn);
        cmd.Parameters.AddWithValue("ids", ended.Select(r => r.Destination.TransferId).ToArray());
        var keyIds = new HashSet<string>();
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) keyIds.Add(Envelope.Parser.ParseFrom((byte[])reader[0]).Signature.KeyId);
        Assert.Contains(next.KeyId, keyIds);
        Assert.Contains(previous.KeyId, keyIds);
    }
}
