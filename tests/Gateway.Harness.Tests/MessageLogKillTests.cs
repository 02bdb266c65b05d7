using Gateway.Contracts.Transfer.V1;
using Gateway.Messaging.Signing;
using Gateway.ProvinceSimulator;
using static Gateway.Harness.Tests.ProcessClusterFixture;

namespace Gateway.Harness.Tests;

/// <summary>
/// SIGKILL the destination while a burst of transfers runs: the message log entries committed before the kill are
/// sealed after the restart, seq stays 1..N without a gap, the chain recomputes and every signed head verifies.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class MessageLogKillTests(ProcessClusterFixture fx)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Entries_survive_a_kill_without_a_gap_in_seq_and_the_chain_verifies()
    {
        const int count = 8;
        var destination = fx.Cluster[Destination];
        var people = Enumerable.Range(0, count).Select(_ => fx.Driver.PickPerson(Origin, EnrolmentState.Suspended)).ToList();
        var certificates = new List<Certificate>();
        foreach (var person in people) certificates.Add(await fx.Driver.IssueCertificateAsync(Origin, person, TransferDriver.Today));
        var ids = (await Task.WhenAll(certificates.Select(c => fx.Driver.SubmitAsync(Destination, c, TransferDriver.Today)))).Select(t => t.TransferId).ToList();

        // Kill once some of the destination's envelopes are logged.
        await NodeDb.WaitUntilAsync(async () => await fx.Db(Destination).CountAsync(
            "SELECT count(*) FROM message_log WHERE correlation_id = ANY(@ids)", ("ids", ids.ToArray())) >= 2, Timeout, "the first entries of the burst");
        await destination.KillAsync();
        await destination.StartAsync();

        foreach (var id in ids)
        {
            await fx.Driver.WaitForStateAsync(Destination, id, Timeout, TransferState.Completed);
            await fx.Driver.WaitForStateAsync(Origin, id, Timeout, TransferState.Acknowledged);
        }
        var directory = TrustDirectory.Parse(Directory.GetFiles(fx.Cluster.Keys.DirectoryPath, "*.json")
            .Select(f => (Path.GetFileName(f), File.ReadAllText(f))).ToList());
        foreach (var province in new[] { Origin, Destination })
        {
            var db = fx.Db(province);
            // Every envelope of these transfers in the outbox and inbox has its sealed entry.
            await NodeDb.WaitUntilAsync(async () =>
                await db.CountAsync("SELECT count(*) FROM message_log WHERE seq IS NULL") == 0 &&
                await db.CountAsync("""
                    SELECT count(*) FROM outbox o WHERE o.correlation_id = ANY(@ids)
                      AND NOT EXISTS (SELECT 1 FROM message_log m WHERE m.kind = 'sent' AND m.message_id = o.message_id AND m.seq IS NOT NULL)
                    """, ("ids", ids.ToArray())) == 0 &&
                await db.CountAsync("""
                    SELECT count(*) FROM inbox i WHERE split_part(i.message_id, ':', 2) = ANY(@ids)
                      AND NOT EXISTS (SELECT 1 FROM message_log m WHERE m.kind = 'received' AND m.message_id = i.message_id AND m.seq IS NOT NULL)
                    """, ("ids", ids.ToArray())) == 0,
                Timeout, $"node {province} to seal every entry of the burst");
            Assert.True(await db.CountAsync("SELECT count(*) FROM message_log WHERE correlation_id = ANY(@ids)", ("ids", ids.ToArray())) >= 3 * count); // letter, table, completion

            var rows = await db.QueryAsync("""
                SELECT seq, kind, message_id, message_type, sender, receiver, correlation_id, digest, at, hash
                FROM message_log WHERE seq IS NOT NULL ORDER BY seq
                """, r => (Fields: new MessageLogFields(r.GetInt64(0), r.GetString(1), Str(r, 2), Str(r, 3), Str(r, 4), Str(r, 5), Str(r, 6),
                r.GetFieldValue<byte[]>(7), r.GetFieldValue<DateTimeOffset>(8)), Hash: r.GetFieldValue<byte[]>(9)));
            // Gap-free from 1, and each hash is SM3(previous ‖ entry).
            Assert.Equal(Enumerable.Range(1, rows.Count).Select(i => (long)i), rows.Select(r => r.Fields.Seq));
            var previous = MessageLogFormat.Genesis;
            var hashes = new Dictionary<long, byte[]>();
            foreach (var (fields, hash) in rows)
            {
                var expected = MessageLogFormat.ChainHash(previous, fields);
                Assert.True(expected.AsSpan().SequenceEqual(hash), $"node {province}: entry {fields.Seq}'s hash does not recompute");
                hashes[fields.Seq] = hash;
                previous = hash;
            }
            var heads = await db.QueryAsync("SELECT seq, hash, signed_at, province, key_id, algorithm, signature FROM message_log_heads ORDER BY seq",
                r => (Seq: r.GetInt64(0), Hash: r.GetFieldValue<byte[]>(1), At: r.GetFieldValue<DateTimeOffset>(2), Province: r.GetString(3),
                    KeyId: r.GetString(4), Algorithm: r.GetString(5), Signature: r.GetFieldValue<byte[]>(6)));
            Assert.NotEmpty(heads);
            foreach (var h in heads)
            {
                Assert.Equal(province, h.Province);
                Assert.Equal(hashes[h.Seq], h.Hash);
                Assert.Null(MessageLogFormat.HeadProblem(directory, h.Province, h.Seq, h.Hash, h.At, h.Algorithm, h.KeyId, h.Signature));
            }
        }
    }

    private static string? Str(Npgsql.NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
