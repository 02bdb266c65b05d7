using System.Text;
using Confluent.Kafka;
using CsCheck;
using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Ops.V1;
using Gateway.Harness;
using Gateway.Messaging;
using Gateway.Messaging.Signing;
using Gateway.ProvinceSimulator;
using Gateway.Storage;
using Google.Rpc;
using Grpc.Core;
using Npgsql;

namespace Gateway.Ops.Cli.Tests;

/// <summary>
/// Two nodes (15 origin, 51 destination) that seal the message log every 200 ms and sign a head every second, with a
/// few finished transfers, a dead-lettered record and an operator action in their logs. Its own cluster: the tests
/// tamper with the log (and put it back).
/// </summary>
public sealed class MessageLogFixture : IAsyncLifetime
{
    public const string Origin = "15";
    public const string Destination = "51";
    public const int Transfers = 3;

    public GatewayCluster Cluster { get; private set; } = null!;
    public TransferDriver Driver { get; private set; } = null!;
    public byte[] Garbage { get; } = Encoding.UTF8.GetBytes("not an envelope " + Guid.NewGuid());
    public long AuditId { get; private set; }

    public async Task InitializeAsync()
    {
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = [Origin, Destination], PeoplePerProvince = 40,
            NodeSettings = new Dictionary<string, string>
            {
                ["Gateway:MessageLog:SealInterval"] = "00:00:00.200",
                ["Gateway:MessageLog:HeadInterval"] = "00:00:01",
            },
        });
        Driver = new TransferDriver(Cluster);
        for (var i = 0; i < Transfers; i++)
            await Driver.RunAsync(Origin, Destination, Driver.PickPerson(Origin, EnrolmentState.Suspended), TransferDriver.Today, TimeSpan.FromSeconds(60));

        // A record that is no envelope, dead-lettered at 51, and an operator's action on it.
        var kafka = KafkaOptions.ForEmbeddedBroker(Cluster.Broker.BootstrapServers, "message-log-tests");
        using (var producer = new ProducerBuilder<string, byte[]>(kafka.CreateProducerConfig()).Build())
            await producer.ProduceAsync(TopicNames.Inbox(Destination), new Message<string, byte[]> { Key = "garbage", Value = Garbage });
        var deadLetterId = await PollAsync(async () => await ScalarAsync<long?>(Destination, "SELECT id FROM dead_letters WHERE payload = @p", ("p", Garbage)),
            "the garbage record's dead letter");
        var ops = new OpsService.OpsServiceClient(Cluster[Destination].Channel);
        AuditId = (await ops.MarkNeverRerunAsync(new MarkNeverRerunRequest { DeadLetterId = deadLetterId!.Value, Operator = "auditor-test", Reason = "not an envelope" },
            TransferDriver.Key())).AuditId;
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    public OpsService.OpsServiceClient Ops(string province) => new(Cluster[province].Channel);

    public async Task<(int Code, string Out, string Err)> VerifyAsync(string province, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync(["verify-log", "--directory", Cluster.Keys.DirectoryPath, .. args, "--node", Cluster[province].Address.ToString()],
            output, error, name => name == "USER" ? "cli-test" : null);
        return (code, output.ToString(), error.ToString());
    }

    public async Task ExecuteAsync(string province, string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(Cluster[province].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (n, v) in parameters) cmd.Parameters.AddWithValue(n, v);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<T?> ScalarAsync<T>(string province, string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(Cluster[province].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (n, v) in parameters) cmd.Parameters.AddWithValue(n, v);
        var value = await cmd.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    public async Task<List<string>> StringsAsync(string province, string sql)
    {
        await using var conn = new NpgsqlConnection(Cluster[province].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        return rows;
    }

    public static async Task<T> PollAsync<T>(Func<Task<T?>> probe, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (await probe() is { } found) return found;
            if (DateTime.UtcNow > until) throw new TimeoutException($"Gave up waiting for {what}.");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Waits until the node's log holds a sealed entry for every outbox and inbox row (the receipts of receipts settle
    /// within a few seconds) and a signed head covers the last one, so a test sees a quiet, fully signed log.
    /// </summary>
    public Task SettledAsync(string province) => PollAsync<object>(async () =>
    {
        var sent = await ScalarAsync<long>(province, "SELECT count(*) FROM message_log WHERE kind = 'sent' AND seq IS NOT NULL");
        var outbox = await ScalarAsync<long>(province, "SELECT count(*) FROM outbox");
        var received = await ScalarAsync<long>(province, "SELECT count(*) FROM message_log WHERE kind = 'received' AND message_type <> 'Receipt' AND seq IS NOT NULL");
        var inbox = await ScalarAsync<long>(province, "SELECT count(*) FROM inbox");
        var unsealed = await ScalarAsync<long>(province, "SELECT count(*) FROM message_log WHERE seq IS NULL");
        var last = await ScalarAsync<long?>(province, "SELECT max(seq) FROM message_log");
        var head = await ScalarAsync<long?>(province, "SELECT max(seq) FROM message_log_heads");
        await Task.Delay(300); // and nothing moved meanwhile
        var lastAgain = await ScalarAsync<long?>(province, "SELECT max(seq) FROM message_log");
        return sent == outbox && received == inbox && unsealed == 0 && last == lastAgain && head == last ? new object() : null;
    }, $"node {province}'s message log to settle");
}

public sealed partial class MessageLogTests(MessageLogFixture fx) : IClassFixture<MessageLogFixture>
{
    private const string Origin = MessageLogFixture.Origin;
    private const string Destination = MessageLogFixture.Destination;

    [Fact]
    public async Task Every_envelope_sent_and_received_and_every_operator_action_is_logged_chained_and_verified()
    {
        foreach (var province in new[] { Origin, Destination })
        {
            await fx.SettledAsync(province);
            // Every outbox row is a sent entry and every inbox row a received one, by message id.
            Assert.Equal((await fx.StringsAsync(province, "SELECT message_id FROM outbox ORDER BY 1")),
                await fx.StringsAsync(province, "SELECT message_id FROM message_log WHERE kind = 'sent' ORDER BY 1"));
            Assert.Equal((await fx.StringsAsync(province, "SELECT message_id FROM inbox ORDER BY 1")),
                await fx.StringsAsync(province, "SELECT message_id FROM message_log WHERE kind = 'received' AND message_type <> 'Receipt' ORDER BY 1"));
            // Each transfer took at least these envelopes each way; receipts received are logged too.
            Assert.True(await fx.ScalarAsync<long>(province, "SELECT count(*) FROM message_log WHERE kind = 'sent' AND message_type <> 'Receipt'") >= MessageLogFixture.Transfers);
            Assert.True(await fx.ScalarAsync<long>(province, "SELECT count(*) FROM message_log WHERE kind = 'received' AND message_type = 'Receipt'") > 0);
            // seq is 1..N without a gap.
            Assert.Equal(await fx.ScalarAsync<long>(province, "SELECT count(*) FROM message_log"), await fx.ScalarAsync<long>(province, "SELECT max(seq) FROM message_log"));
            Assert.Equal(1L, await fx.ScalarAsync<long>(province, "SELECT min(seq) FROM message_log"));

            var (code, output, error) = await fx.VerifyAsync(province);
            Assert.True(code == ExitCodes.Ok, output + error);
            Assert.StartsWith("OK: entries 1..", output);
            Assert.Contains("the last signed head covers seq", output);
        }

        // The dead letter and the operator's action are logged at 51, the action with the digest of its audit row as stored.
        Assert.Equal(1L, await fx.ScalarAsync<long>(Destination, "SELECT count(*) FROM message_log WHERE kind = 'dead_lettered' AND digest = @d",
            ("d", MessageLogFormat.RecordDigest(fx.Garbage))));
        var audit = (await fx.Ops(Destination).ListAuditTrailAsync(new ListAuditTrailRequest { PageSize = 50 })).Entries.Single(e => e.Id == fx.AuditId);
        var json = MessageLogStore.AuditCanonicalJson(audit.Id, audit.At.ToDateTimeOffset(), audit.Operator, audit.Action, NullIfEmpty(audit.Subject),
            NullIfEmpty(audit.Reason), NullIfEmpty(audit.Result), NullIfEmpty(audit.TransferId), NullIfEmpty(audit.Detail));
        var logged = await fx.ScalarAsync<byte[]>(Destination, "SELECT digest FROM message_log WHERE kind = 'operator_action' AND message_id = @id",
            ("id", $"audit:{fx.AuditId}"));
        Assert.Equal(MessageLogFormat.Sm3(Encoding.UTF8.GetBytes(json)), logged);

        // Non-repudiation: the receiver's digest of an envelope is the sender's, and both are the digest of the envelope as sent.
        // The destination sends the contact letter to the origin.
        var (sender, receiver) = (Destination, Origin);
        var letterId = (await fx.StringsAsync(sender, "SELECT message_id FROM outbox WHERE message_type = 'ContactLetterSent' ORDER BY id LIMIT 1"))[0];
        var payload = await fx.ScalarAsync<byte[]>(sender, "SELECT payload FROM outbox WHERE message_id = @id", ("id", letterId));
        var expected = MessageLogFormat.EnvelopeDigest(Envelope.Parser.ParseFrom(payload));
        Assert.Equal(expected, await fx.ScalarAsync<byte[]>(sender, "SELECT digest FROM message_log WHERE kind = 'sent' AND message_id = @id", ("id", letterId)));
        Assert.Equal(expected, await fx.ScalarAsync<byte[]>(receiver, "SELECT digest FROM message_log WHERE kind = 'received' AND message_id = @id", ("id", letterId)));
    }

    [Fact]
    public async Task A_changed_digest_is_named_by_its_seq()
    {
        await fx.SettledAsync(Destination);
        var original = await fx.ScalarAsync<byte[]>(Destination, "SELECT digest FROM message_log WHERE seq = 3");
        await fx.ExecuteAsync(Destination, "UPDATE message_log SET digest = @d WHERE seq = 3", ("d", MessageLogFormat.Sm3("forged"u8)));
        try
        {
            var (code, output, _) = await fx.VerifyAsync(Destination);
            Assert.Equal(VerifyLogCommand.Broken, code);
            Assert.StartsWith("BROKEN at seq 3: its stored hash", output);
            // A range after the change does not see it; one over it does.
            Assert.Equal(ExitCodes.Ok, (await fx.VerifyAsync(Destination, "--from-seq", "4")).Code);
            Assert.Contains("BROKEN at seq 3", (await fx.VerifyAsync(Destination, "--from-seq", "2", "--to-seq", "3")).Out);
        }
        finally
        {
            await fx.ExecuteAsync(Destination, "UPDATE message_log SET digest = @d WHERE seq = 3", ("d", original!));
        }
        Assert.Equal(ExitCodes.Ok, (await fx.VerifyAsync(Destination)).Code);
    }

    [Fact]
    public async Task A_changed_digest_with_every_later_hash_rewritten_is_caught_by_the_signed_head()
    {
        await fx.SettledAsync(Origin);
        await fx.ExecuteAsync(Origin, "CREATE TABLE IF NOT EXISTS saved_log AS SELECT * FROM message_log WHERE false; TRUNCATE saved_log; INSERT INTO saved_log SELECT * FROM message_log");
        // A malicious operator with the database but not the key: change entry 2 and recompute the chain after it.
        await fx.ExecuteAsync(Origin, "UPDATE message_log SET digest = @d WHERE seq = 2", ("d", MessageLogFormat.Sm3("forged"u8)));
        var rows = await RowsAsync(Origin);
        var previous = MessageLogFormat.Genesis;
        foreach (var r in rows)
        {
            var hash = MessageLogFormat.ChainHash(previous, r);
            await fx.ExecuteAsync(Origin, "UPDATE message_log SET hash = @h WHERE seq = @s", ("h", hash), ("s", r.Seq));
            previous = hash;
        }
        try
        {
            var (code, output, _) = await fx.VerifyAsync(Origin);
            Assert.Equal(VerifyLogCommand.Broken, code);
            Assert.Contains("but the chain recomputes", output);
            Assert.Contains("was changed and the hashes after it rewritten", output);
        }
        finally
        {
            await fx.ExecuteAsync(Origin, "UPDATE message_log m SET digest = s.digest, hash = s.hash FROM saved_log s WHERE m.id = s.id");
        }
        Assert.Equal(ExitCodes.Ok, (await fx.VerifyAsync(Origin)).Code);
    }

    [Fact]
    public async Task A_deleted_entry_is_named_as_missing()
    {
        await fx.SettledAsync(Destination);
        await fx.ExecuteAsync(Destination, "CREATE TABLE IF NOT EXISTS deleted_log AS SELECT * FROM message_log WHERE false; TRUNCATE deleted_log; " +
            "WITH gone AS (DELETE FROM message_log WHERE seq = 4 RETURNING *) INSERT INTO deleted_log SELECT * FROM gone");
        try
        {
            var (code, output, _) = await fx.VerifyAsync(Destination);
            Assert.Equal(VerifyLogCommand.Broken, code);
            Assert.StartsWith("BROKEN at seq 4: entry 4 is missing: entry 3 is followed by 5", output);
            Assert.StartsWith("BROKEN at seq 4: entry 4, the anchor of the range, is missing", (await fx.VerifyAsync(Destination, "--from-seq", "5")).Out);
        }
        finally
        {
            await fx.ExecuteAsync(Destination, "INSERT INTO message_log OVERRIDING SYSTEM VALUE SELECT * FROM deleted_log");
        }
        Assert.Equal(ExitCodes.Ok, (await fx.VerifyAsync(Destination)).Code);
    }

    [Fact]
    public async Task Reordered_entries_are_named_at_the_first_moved_seq()
    {
        await fx.SettledAsync(Destination);
        const string swap = "UPDATE message_log SET seq = -5 WHERE seq = 5; UPDATE message_log SET seq = 5 WHERE seq = 6; UPDATE message_log SET seq = 6 WHERE seq = -5";
        await fx.ExecuteAsync(Destination, swap);
        try
        {
            var (code, output, _) = await fx.VerifyAsync(Destination);
            Assert.Equal(VerifyLogCommand.Broken, code);
            Assert.StartsWith("BROKEN at seq 5:", output);
        }
        finally
        {
            await fx.ExecuteAsync(Destination, swap);
        }
        Assert.Equal(ExitCodes.Ok, (await fx.VerifyAsync(Destination)).Code);
    }

    [Fact]
    public async Task A_forged_head_signature_is_reported()
    {
        await fx.SettledAsync(Origin);
        var head = await fx.ScalarAsync<long>(Origin, "SELECT min(seq) FROM message_log_heads");
        var signature = await fx.ScalarAsync<byte[]>(Origin, "SELECT signature FROM message_log_heads WHERE seq = @s", ("s", head));
        var forged = (byte[])signature!.Clone();
        forged[^1] ^= 0x01;
        await fx.ExecuteAsync(Origin, "UPDATE message_log_heads SET signature = @g WHERE seq = @s", ("g", forged), ("s", head));
        try
        {
            var (code, output, _) = await fx.VerifyAsync(Origin);
            Assert.Equal(VerifyLogCommand.Broken, code);
            Assert.Contains($"BROKEN head at seq {head}: its signature does not hold: the signature does not verify with key", output);
        }
        finally
        {
            await fx.ExecuteAsync(Origin, "UPDATE message_log_heads SET signature = @g WHERE seq = @s", ("g", signature), ("s", head));
        }
        // A head claimed under another province's key is refused by the directory, not by the node.
        var keyId = await fx.ScalarAsync<string>(Origin, "SELECT key_id FROM message_log_heads WHERE seq = @s", ("s", head));
        var other = fx.Cluster.Keys.Current(Destination).KeyId;
        await fx.ExecuteAsync(Origin, "UPDATE message_log_heads SET key_id = @k WHERE seq = @s", ("k", other), ("s", head));
        try
        {
            Assert.Contains($"has no key '{other}'", (await fx.VerifyAsync(Origin)).Out);
        }
        finally
        {
            await fx.ExecuteAsync(Origin, "UPDATE message_log_heads SET key_id = @k WHERE seq = @s", ("k", keyId!), ("s", head));
        }
        Assert.Equal(ExitCodes.Ok, (await fx.VerifyAsync(Origin)).Code);
    }

    [Fact]
    public async Task Verify_log_needs_a_directory_and_a_sensible_range()
    {
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Usage, await CliApp.RunAsync(["verify-log", "--node", fx.Cluster[Origin].Address.ToString()], output, output, _ => null));
        Assert.Equal(ExitCodes.Usage, (await fx.VerifyAsync(Origin, "--from-seq", "5", "--to-seq", "4")).Code);
        var missing = await CliApp.RunAsync(["verify-log", "--directory", "/nonexistent/directory.json", "--node", fx.Cluster[Origin].Address.ToString()],
            output, output, _ => null);
        Assert.Equal(ExitCodes.Usage, missing);
    }

    [Fact]
    public async Task Bad_paging_of_the_log_is_invalid_argument_naming_the_field()
    {
        var ops = fx.Ops(Origin);
        var gen = Gen.OneOf(
            Gen.Long[long.MinValue, -1].Select(f => (From: f, Size: 10)),
            Gen.OneOf(Gen.Int[int.MinValue, -1], Gen.Int[501, int.MaxValue]).Select(s => (From: 1L, Size: s)));
        await gen.SampleAsync(async input =>
        {
            var field = input.From < 0 ? "from_seq" : "page_size";
            foreach (var call in new Func<Task>[]
            {
                async () => await ops.ListMessageLogAsync(new ListMessageLogRequest { FromSeq = input.From, PageSize = input.Size }),
                async () => await ops.ListMessageLogHeadsAsync(new ListMessageLogHeadsRequest { FromSeq = input.From, PageSize = input.Size }),
            })
            {
                var ex = await Assert.ThrowsAsync<RpcException>(call);
                Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
                Assert.Contains(ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations, v => v.Field == field);
            }
        }, iter: 25);
    }

    private async Task<List<MessageLogFields>> RowsAsync(string province)
    {
        await using var conn = new NpgsqlConnection(fx.Cluster[province].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT seq, kind, message_id, message_type, sender, receiver, correlation_id, digest, at FROM message_log WHERE seq IS NOT NULL ORDER BY seq", conn);
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<MessageLogFields>();
        while (await r.ReadAsync())
            rows.Add(new MessageLogFields(r.GetInt64(0), r.GetString(1), Str(r, 2), Str(r, 3), Str(r, 4), Str(r, 5), Str(r, 6),
                r.GetFieldValue<byte[]>(7), r.GetFieldValue<DateTimeOffset>(8)));
        return rows;

        static string? Str(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}
