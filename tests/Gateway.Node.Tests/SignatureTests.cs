using Confluent.Kafka;
using CsCheck;
using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Sync.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.Messaging;
using Gateway.Messaging.Signing;
using Gateway.ProvinceSimulator;
using Google.Protobuf;
using Timestamp = Google.Protobuf.WellKnownTypes.Timestamp;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Gateway.Node.Tests;

/// <summary>
/// 15 (owner of the filings) and 51 (province of care, on a clock the test can move) with signatures on, plus 44
/// listed in the directory with a key but no node. Freshness window 1 hour, so a replay test needs no week of waiting.
/// No province systems: every row that changes was changed by the test.
/// </summary>
public sealed class SigningFixture : IAsyncLifetime
{
    public const string Owner = "15";
    public const string Care = "51";
    public const string Stranger = "44";
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);
    public ShiftableClock CareClock { get; } = new();
    public GatewayCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = [Owner, Care], StartSimulators = false, PeoplePerProvince = 5, DirectoryOnlyProvinces = [Stranger],
            Clocks = new Dictionary<string, TimeProvider> { [Care] = CareClock },
            NodeSettings = new Dictionary<string, string> { ["Gateway:Signing:FreshnessPast"] = Window.ToString() },
        });

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    public TrustDirectorySource Trust(string province) => Cluster[province].Services!.GetRequiredService<TrustDirectorySource>();

    public Task<long> CountAsync(string province, string sql, params (string Name, object Value)[] parameters) =>
        NodeRows.CountAsync(Cluster[province].ConnectionString, sql, parameters);

    public async Task<string?> DeadLetterReasonAsync(string province, byte[] payload)
    {
        await using var conn = new NpgsqlConnection(Cluster[province].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT reason FROM dead_letters WHERE payload = @p", conn);
        cmd.Parameters.AddWithValue("p", payload);
        return (string?)await cmd.ExecuteScalarAsync();
    }

    public async Task<List<byte[]>> OutboxPayloadsAsync(string province, string messageType)
    {
        await using var conn = new NpgsqlConnection(Cluster[province].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT payload FROM outbox WHERE message_type = @t", conn);
        cmd.Parameters.AddWithValue("t", messageType);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<byte[]>();
        while (await reader.ReadAsync()) rows.Add((byte[])reader[0]);
        return rows;
    }

    /// <summary>Writes a record onto a node's inbox topic with an ordinary producer, as a rogue producer with broker access could.</summary>
    public async Task ProduceAsync(string province, string key, byte[] value)
    {
        var options = KafkaOptions.ForEmbeddedBroker(Cluster.Broker.BootstrapServers, "signature-tests");
        using var producer = new ProducerBuilder<string, byte[]>(options.CreateProducerConfig()).Build();
        var result = await producer.ProduceAsync(TopicNames.Inbox(province), new Message<string, byte[]> { Key = key, Value = value });
        Assert.Equal(PersistenceStatus.Persisted, result.Status);
    }

    /// <summary>A new filing's FilingChanged from 15 to 51, as 15's node would build it, unsigned.</summary>
    public static (Envelope Envelope, Filing Filing) FilingEnvelope(DateTimeOffset? sentAt = null)
    {
        var filing = ThreeProvinceFixture.NewFiling();
        filing.Status = FilingStatus.Active;
        return (SyncDriver.FilingChangedEnvelope(Owner, Care, filing, TransferDriver.Today, sentAt), filing);
    }

    public Task<long> FilingsAsync(string filingId) =>
        CountAsync(Care, "SELECT count(*) FROM filings WHERE filing_id = @id", ("id", filingId));

    public async Task WaitForFilingAsync(string filingId) =>
        await ThreeProvinceFixture.WaitUntilAsync(async () => await FilingsAsync(filingId) == 1, $"filing {filingId} at {Care}");

    public async Task<string> WaitForDeadLetterAsync(byte[] payload, string what)
    {
        string? reason = null;
        await ThreeProvinceFixture.WaitUntilAsync(async () => (reason = await DeadLetterReasonAsync(Care, payload)) is not null, what);
        return reason!;
    }

    /// <summary>Nothing of the envelope took effect at 51: no filing, no inbox row, no receipt naming it.</summary>
    public async Task AssertNothingChangedAsync(Envelope envelope, Filing filing)
    {
        Assert.Equal(0, await FilingsAsync(filing.FilingId));
        Assert.Equal(0, await CountAsync(Care, "SELECT count(*) FROM inbox WHERE message_id = @id", ("id", envelope.MessageId)));
        Assert.Equal(0, await CountAsync(Care, "SELECT count(*) FROM record_changes WHERE record_id = @id", ("id", filing.FilingId)));
        Assert.Equal(0, await CountAsync(Care,
            "SELECT count(*) FROM outbox WHERE message_type = 'Receipt' AND position(convert_to(@id, 'UTF8') in payload) > 0", ("id", envelope.MessageId)));
    }

    public static async Task WaitUntilAsync(Func<bool> probe, string what) =>
        await ThreeProvinceFixture.WaitUntilAsync(() => Task.FromResult(probe()), what);
}

/// <summary>
/// Issue 12's signed envelopes on a real cluster: every envelope here is written to 51's inbox with an ordinary Kafka
/// producer, and each refused one is dead-lettered with its reason, unanswered, and changes nothing.
/// </summary>
public sealed class SignatureTests(SigningFixture fx) : IClassFixture<SigningFixture>
{
    private const string Owner = SigningFixture.Owner;
    private const string Care = SigningFixture.Care;

    [Theory]
    [InlineData("unsigned", SignatureCodes.Missing)]
    [InlineData("another key under 15's own key id", SignatureCodes.Invalid)]
    [InlineData("a key id 15 does not have", SignatureCodes.KeyUnknown)]
    [InlineData("signed by 44's real key", SignatureCodes.KeyUnknown)]
    [InlineData("one payload byte changed after signing", SignatureCodes.Invalid)]
    [InlineData("correlation id changed after signing", SignatureCodes.Invalid)]
    [InlineData("signature type relabelled", SignatureCodes.Invalid)]
    public async Task A_forged_or_tampered_envelope_naming_the_true_owner_is_dead_lettered_with_its_reason_and_changes_nothing(string forgery, string code)
    {
        var (envelope, filing) = SigningFixture.FilingEnvelope();
        var original = envelope.Clone();
        var genuine = fx.Cluster.Keys.Current(Owner);
        switch (forgery)
        {
            case "unsigned": break;
            case "another key under 15's own key id": EnvelopeSigner.Sign(envelope, ClusterKeys.Stranger(genuine.KeyId)); break;
            case "a key id 15 does not have": EnvelopeSigner.Sign(envelope, ClusterKeys.Stranger("15-forged")); break;
            case "signed by 44's real key": EnvelopeSigner.Sign(envelope, fx.Cluster.Keys.Current(SigningFixture.Stranger)); break;
            case "one payload byte changed after signing":
                fx.Cluster.Keys.Sign(envelope);
                var bytes = envelope.Payload.ToByteArray();
                bytes[^1] ^= 0x01;
                envelope.Payload = ByteString.CopyFrom(bytes);
                break;
            case "correlation id changed after signing":
                fx.Cluster.Keys.Sign(envelope);
                envelope.CorrelationId += "0";
                break;
            default:
                fx.Cluster.Keys.Sign(envelope);
                envelope.Signature.Type = SignatureAlgorithms.EcdsaP256Sha256;
                break;
        }
        var forged = envelope.ToByteArray();

        await fx.ProduceAsync(Care, filing.FilingId, forged);

        var reason = await fx.WaitForDeadLetterAsync(forged, $"the dead letter of the envelope {forgery}");
        Assert.StartsWith(code + ":", reason);
        await fx.AssertNothingChangedAsync(envelope, filing);

        // The same change, signed by the owner's real key under a new id, is applied: the refusal was the signature's doing.
        original.MessageId += "-honest";
        await fx.ProduceAsync(Care, filing.FilingId, fx.Cluster.Keys.Signed(original));
        await fx.WaitForFilingAsync(filing.FilingId);
    }

    [Fact]
    public async Task An_operators_re_apply_of_a_forged_dead_letter_verifies_it_again_and_stays_refused()
    {
        var (envelope, filing) = SigningFixture.FilingEnvelope();
        EnvelopeSigner.Sign(envelope, ClusterKeys.Stranger(fx.Cluster.Keys.Current(Owner).KeyId));
        var forged = envelope.ToByteArray();
        await fx.ProduceAsync(Care, filing.FilingId, forged);
        await fx.WaitForDeadLetterAsync(forged, "the forged envelope's dead letter");
        await using var conn = new NpgsqlConnection(fx.Cluster[Care].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT id FROM dead_letters WHERE payload = @p", conn);
        cmd.Parameters.AddWithValue("p", forged);
        var id = (long)(await cmd.ExecuteScalarAsync())!;

        var ops = new Gateway.Contracts.Ops.V1.OpsService.OpsServiceClient(fx.Cluster[Care].Channel);
        var result = await ops.ReapplyDeadLetterAsync(new Gateway.Contracts.Ops.V1.ReapplyDeadLetterRequest
        {
            DeadLetterId = id, Operator = "ops-a", Reason = "looks fine to me",
        }, TransferDriver.Key());

        Assert.Equal("STILL_REFUSED", result.Result);
        Assert.StartsWith(SignatureCodes.Invalid + ":", result.Detail);
        await fx.AssertNothingChangedAsync(envelope, filing);
    }

    [Fact]
    public async Task A_replay_outside_the_freshness_window_is_dead_lettered_stale_while_an_applied_id_replayed_late_is_deduplicated()
    {
        // Applied while fresh (55 minutes old, within the hour).
        var (applied, appliedFiling) = SigningFixture.FilingEnvelope(DateTimeOffset.UtcNow.AddMinutes(-55));
        var appliedBytes = fx.Cluster.Keys.Signed(applied);
        await fx.ProduceAsync(Care, "replay", appliedBytes);
        await fx.WaitForFilingAsync(appliedFiling.FilingId);

        fx.CareClock.Advance(TimeSpan.FromMinutes(10)); // now it is 65 minutes old at 51
        try
        {
            // A never-seen id signed as long ago, and one signed for the future: both stale.
            var (old, oldFiling) = SigningFixture.FilingEnvelope(DateTimeOffset.UtcNow.AddMinutes(-65));
            var (early, earlyFiling) = SigningFixture.FilingEnvelope(DateTimeOffset.UtcNow.AddMinutes(30));
            var oldBytes = fx.Cluster.Keys.Signed(old);
            var earlyBytes = fx.Cluster.Keys.Signed(early);
            await fx.ProduceAsync(Care, "replay", appliedBytes); // the applied one again: deduped, not stale
            await fx.ProduceAsync(Care, "replay", oldBytes);
            await fx.ProduceAsync(Care, "replay", earlyBytes);

            Assert.StartsWith(SignatureCodes.Stale + ":", await fx.WaitForDeadLetterAsync(oldBytes, "the old envelope's dead letter"));
            Assert.StartsWith(SignatureCodes.Stale + ":", await fx.WaitForDeadLetterAsync(earlyBytes, "the early envelope's dead letter"));
            await fx.AssertNothingChangedAsync(old, oldFiling);
            await fx.AssertNothingChangedAsync(early, earlyFiling);
            // Same partition, in order: the replay of the applied id was consumed before them, and only deduplicated.
            Assert.Null(await fx.DeadLetterReasonAsync(Care, appliedBytes));
            Assert.Equal(1, await fx.CountAsync(Care, "SELECT count(*) FROM inbox WHERE message_id = @id", ("id", applied.MessageId)));
            Assert.Equal(1, await fx.CountAsync(Care, "SELECT count(*) FROM record_changes WHERE record_id = @id", ("id", appliedFiling.FilingId)));
        }
        finally
        {
            fx.CareClock.Advance(TimeSpan.FromMinutes(-10));
        }
    }

    [Fact]
    public async Task A_key_added_to_the_directory_verifies_and_stops_verifying_once_the_file_revokes_it_without_a_restart()
    {
        var extra = fx.Cluster.Keys.AddKey(Owner);
        await SigningFixture.WaitUntilAsync(() => fx.Trust(Care).Current.Directory.Find(Owner)!.FindKey(extra.KeyId) is not null,
            "51 to load the directory with the new key");
        var (accepted, acceptedFiling) = SigningFixture.FilingEnvelope();
        EnvelopeSigner.Sign(accepted, extra);
        await fx.ProduceAsync(Care, "revocation", accepted.ToByteArray());
        await fx.WaitForFilingAsync(acceptedFiling.FilingId);

        var generation = fx.Trust(Care).Current.Generation;
        fx.Cluster.Keys.Revoke(extra.KeyId);
        await SigningFixture.WaitUntilAsync(() => fx.Trust(Care).Current.Directory.Find(Owner)!.FindKey(extra.KeyId)!.Revoked,
            "51 to reload the directory with the key revoked");
        Assert.True(fx.Trust(Care).Current.Generation > generation);

        var (refused, refusedFiling) = SigningFixture.FilingEnvelope();
        EnvelopeSigner.Sign(refused, extra);
        var bytes = refused.ToByteArray();
        await fx.ProduceAsync(Care, "revocation", bytes);
        Assert.StartsWith(SignatureCodes.KeyRevoked + ":", await fx.WaitForDeadLetterAsync(bytes, "the revoked key's envelope dead-lettered"));
        await fx.AssertNothingChangedAsync(refused, refusedFiling);
    }

    [Fact]
    public async Task Rotating_the_owners_key_while_filings_are_in_flight_fails_nothing_and_envelopes_signed_with_the_previous_key_still_verify()
    {
        var previous = fx.Cluster.Keys.Current(Owner);
        var (late, lateFiling) = SigningFixture.FilingEnvelope();
        EnvelopeSigner.Sign(late, previous); // signed before the rotation, delivered after it
        var deadBefore = await fx.CountAsync(Care, "SELECT count(*) FROM dead_letters");
        var client = new FilingService.FilingServiceClient(fx.Cluster[Owner].Channel);

        var created = new List<string>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var filing = ThreeProvinceFixture.NewFiling();
                await client.CreateFilingAsync(new CreateFilingRequest { Filing = filing }, TransferDriver.Key());
                lock (created) created.Add(filing.FilingId);
            }
        });

        var next = fx.Cluster.Keys.AddKey(Owner);
        await SigningFixture.WaitUntilAsync(() => fx.Trust(Care).Current.Directory.Find(Owner)!.FindKey(next.KeyId) is not null, "51 to know the new key");
        fx.Cluster.Keys.Use(Owner, next);
        await SigningFixture.WaitUntilAsync(() => fx.Trust(Owner).Current.SigningKey.KeyId == next.KeyId, "15 to sign with the new key");
        int Created() { lock (created) return created.Count; }
        var rotatedAt = Created();
        await SigningFixture.WaitUntilAsync(() => Created() >= rotatedAt + 5, "filings created after the rotation");
        stop.Cancel();
        await writer;

        foreach (var id in created.ToList()) await fx.WaitForFilingAsync(id);
        await fx.ProduceAsync(Care, "rotation", late.ToByteArray());
        await fx.WaitForFilingAsync(lateFiling.FilingId);
        Assert.Equal(deadBefore, await fx.CountAsync(Care, "SELECT count(*) FROM dead_letters"));

        var keyIds = (await fx.OutboxPayloadsAsync(Owner, nameof(FilingChanged))).Select(p => Envelope.Parser.ParseFrom(p).Signature.KeyId).ToHashSet();
        Assert.Contains(previous.KeyId, keyIds);
        Assert.Contains(next.KeyId, keyIds);
    }

    [Fact]
    public async Task Random_mutations_of_a_signed_envelope_are_all_dead_lettered_and_change_nothing()
    {
        var (envelope, filing) = SigningFixture.FilingEnvelope();
        envelope.Attempt = 0; // not on the wire: every remaining byte is covered by the signature
        var signed = fx.Cluster.Keys.Signed(envelope);
        var flips = Gen.Select(Gen.Int[0, signed.Length - 1], Gen.Int[1, 255]).Array[1, 3].Select(f =>
        {
            var copy = (byte[])signed.Clone();
            foreach (var (at, mask) in f) copy[at] ^= (byte)mask;
            return copy;
        });
        var fields = Gen.Select(Gen.Int[0, 5], Gen.String[1, 12]).Select(t =>
        {
            var e = Envelope.Parser.ParseFrom(signed);
            switch (t.Item1)
            {
                case 0: e.MessageId += t.Item2; break;
                case 1: e.CausationId += t.Item2; break;
                case 2: e.SentAt = new Timestamp { Seconds = e.SentAt.Seconds - 1 - t.Item2.Length, Nanos = e.SentAt.Nanos }; break;
                case 3: e.Payload = ByteString.CopyFrom([.. e.Payload.Span, (byte)t.Item2[0]]); break;
                case 4: e.Signature.KeyId += t.Item2; break;
                default: e.SchemaVersion += t.Item2; break;
            }
            return e.ToByteArray();
        });
        var mutated = new List<byte[]>();
        Gen.Frequency((1, flips), (1, fields)).Sample(m => { lock (mutated) mutated.Add(m); }, iter: 40, threads: 1);

        var deadBefore = await fx.CountAsync(Care, "SELECT count(*) FROM dead_letters");
        var changesBefore = await fx.CountAsync(Care, "SELECT count(*) FROM record_changes");
        var inboxBefore = await fx.CountAsync(Care, "SELECT count(*) FROM inbox");
        foreach (var m in mutated) await fx.ProduceAsync(Care, "mutations", m);
        // A genuine envelope behind them on the same partition: once it is applied, every mutation was consumed.
        var (marker, markerFiling) = SigningFixture.FilingEnvelope();
        await fx.ProduceAsync(Care, "mutations", fx.Cluster.Keys.Signed(marker));
        await fx.WaitForFilingAsync(markerFiling.FilingId);

        Assert.Equal(deadBefore + mutated.Count, await fx.CountAsync(Care, "SELECT count(*) FROM dead_letters"));
        Assert.Equal(changesBefore + 1, await fx.CountAsync(Care, "SELECT count(*) FROM record_changes"));
        Assert.Equal(inboxBefore + 1, await fx.CountAsync(Care, "SELECT count(*) FROM inbox"));
        Assert.Equal(0, await fx.FilingsAsync(filing.FilingId));
    }
}

/// <summary>Two nodes whose keys are ECDSA P-256: the alternative algorithm on the same code path, end to end.</summary>
public sealed class EcdsaClusterFixture : IAsyncLifetime
{
    public GatewayCluster Cluster { get; private set; } = null!;
    public TransferDriver Driver { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await GatewayCluster.StartAsync(new ClusterOptions
        {
            Provinces = ["15", "51"], PeoplePerProvince = 20, SignatureAlgorithm = SignatureAlgorithms.EcdsaP256Sha256,
        });
        Driver = new TransferDriver(Cluster);
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }
}

public sealed class EcdsaSignatureTests(EcdsaClusterFixture fx) : IClassFixture<EcdsaClusterFixture>
{
    [Fact]
    public async Task A_transfer_completes_with_every_envelope_signed_ECDSA_P256_and_verified()
    {
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        var (destination, origin) = await fx.Driver.RunAsync("15", "51", person, TransferDriver.Today, TimeSpan.FromSeconds(60));
        Assert.Equal((TransferState.Completed, TransferState.Acknowledged), (destination.State, origin.State));
        Assert.Equal(person.BalanceFen, destination.CreditedAmountFen);

        foreach (var province in new[] { "15", "51" })
        {
            var rows = new List<(string Type, Signature Signature)>();
            await using var conn = new NpgsqlConnection(fx.Cluster[province].ConnectionString);
            await conn.OpenAsync();
            await using (var cmd = new NpgsqlCommand("SELECT message_type, payload FROM outbox", conn))
            await using (var reader = await cmd.ExecuteReaderAsync())
                while (await reader.ReadAsync()) rows.Add((reader.GetString(0), Envelope.Parser.ParseFrom((byte[])reader[1]).Signature));
            Assert.Contains(rows, r => r.Type == nameof(Receipt));
            Assert.Contains(rows, r => r.Type != nameof(Receipt));
            Assert.All(rows, r => Assert.Equal((SignatureAlgorithms.EcdsaP256Sha256, fx.Cluster.Keys.Current(province).KeyId), (r.Signature.Type, r.Signature.KeyId)));
            await using var dead = new NpgsqlCommand("SELECT count(*) FROM dead_letters", conn);
            Assert.Equal(0L, Convert.ToInt64(await dead.ExecuteScalarAsync()));
        }
    }
}
