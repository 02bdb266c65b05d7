using Confluent.Kafka;
using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Sync.V1;
using Gateway.Messaging;
using Gateway.Messaging.Signing;
using Gateway.ProvinceSimulator;
using Google.Protobuf;
using Npgsql;
using Proto = Gateway.Contracts.Transfer.V1;
using Timestamp = Google.Protobuf.WellKnownTypes.Timestamp;

namespace Gateway.Harness.BadInput;

/// <summary>A record the run writes onto an inbox topic: garbage, a forgery (to be dead-lettered), or a replay (to be deduplicated).</summary>
internal sealed record HostileEnvelope(string Category, string What, string Receiver, string? Key, byte[]? Value, bool Replay);

/// <summary>Where a hostile record landed, to find its dead letter by (topic, partition, offset).</summary>
internal sealed record Landed(HostileEnvelope Envelope, string Topic, int Partition, long Offset);

/// <summary>
/// Garbage, forged and replayed envelopes, as a rogue producer with access to the broker would write them (a plain
/// Confluent producer). Forgeries that must fail on their signature carry a payload that would otherwise be applied
/// (a new filing for the receiver as province of care), so a signature check that let them through changes state.
/// </summary>
internal sealed class EnvelopeAttacks(GatewayCluster cluster, BadInputArena arena, int seed)
{
    public const string Garbage = "garbage record";
    public const string BadIdentity = "bad identity fields";
    public const string Forged = "forged signature";
    public const string Stale = "stale";
    public const string Poison = "poison payload, signed";
    public const string Trust = "outside its exchange, signed";
    public const string Replay = "replay of an applied envelope";

    public async Task<List<HostileEnvelope>> BuildAsync(int count, CancellationToken ct)
    {
        var random = new Random(seed ^ 0x5EED);
        var provinces = cluster.Nodes.Keys.Order(StringComparer.Ordinal).ToList();
        var replays = new List<HostileEnvelope>();
        foreach (var province in provinces)
            replays.AddRange(await AppliedAsync(province, ct));
        var strangers = cluster.Options.DirectoryOnlyProvinces;
        var list = new List<HostileEnvelope>(count);
        for (var i = 0; i < count; i++)
        {
            var receiver = provinces[random.Next(provinces.Count)];
            var others = provinces.Where(p => p != receiver).ToList();
            var sender = others[random.Next(others.Count)];
            var roll = random.Next(100);
            list.Add(roll switch
            {
                < 12 => GarbageRecord(receiver, random),
                < 24 => BadIdentityRecord(receiver, sender, random),
                < 52 => ForgedRecord(receiver, sender, random),
                < 58 => StaleRecord(receiver, sender),
                < 72 => PoisonRecord(receiver, sender, random),
                < 82 when strangers.Count > 0 => TrustRecord(strangers[random.Next(strangers.Count)], random),
                _ when replays.Count > 0 => ReplayRecord(replays[random.Next(replays.Count)], random),
                _ => GarbageRecord(receiver, random),
            });
        }
        return list;
    }

    private static HostileEnvelope GarbageRecord(string receiver, Random random) => random.Next(4) switch
    {
        0 => new(Garbage, "empty record", receiver, "garbage", [], false),
        1 => new(Garbage, "record without a value", receiver, "garbage", null, false),
        2 => new(Garbage, "groups nested 200 deep", receiver, "garbage", HostileBodies.Nested(200), false),
        _ => new(Garbage, "random bytes", receiver, "garbage", HostileBodies.Garbage(random, random.Next(1, 4_096)), false),
    };

    private HostileEnvelope BadIdentityRecord(string receiver, string sender, Random random)
    {
        var (envelope, _) = FilingEnvelope(sender, receiver);
        var what = random.Next(5) switch
        {
            0 => Set(() => envelope.MessageId += "\0", "NUL in the message id"),
            1 => Set(() => envelope.SenderProvince = "99", "sender 99"),
            2 => Set(() => envelope.SenderProvince = receiver, "sender is the receiver"),
            3 => Set(() => envelope.ReceiverProvince = sender, "addressed to another province"),
            _ => Set(() => envelope.CorrelationId += "\u001b", "ESC in the correlation id"),
        };
        return new(BadIdentity, what, receiver, "identity", Sign(envelope, sender).ToByteArray(), false);
    }

    private HostileEnvelope ForgedRecord(string receiver, string sender, Random random)
    {
        var (envelope, _) = FilingEnvelope(sender, receiver);
        string what;
        switch (random.Next(7))
        {
            case 0: what = "unsigned"; break;
            case 1: EnvelopeSigner.Sign(envelope, ClusterKeys.Stranger(cluster.Keys.Current(sender).KeyId)); what = "another key under the sender's key id"; break;
            case 2: EnvelopeSigner.Sign(envelope, ClusterKeys.Stranger($"{sender}-forged")); what = "a key id the sender does not have"; break;
            case 3: EnvelopeSigner.Sign(envelope, cluster.Keys.Current(receiver)); what = "signed with the receiver's own key"; break;
            case 4:
                Sign(envelope, sender);
                var bytes = envelope.Payload.ToByteArray();
                bytes[random.Next(bytes.Length)] ^= 0x01;
                envelope.Payload = ByteString.CopyFrom(bytes);
                what = "a payload byte changed after signing";
                break;
            case 5: Sign(envelope, sender); envelope.CorrelationId += "0"; what = "correlation id changed after signing"; break;
            default: Sign(envelope, sender); envelope.Signature.Type = envelope.Signature.Type == SignatureAlgorithms.Sm2Sm3 ? SignatureAlgorithms.EcdsaP256Sha256 : SignatureAlgorithms.Sm2Sm3; what = "signature type relabelled"; break;
        }
        return new(Forged, what, receiver, "forged", envelope.ToByteArray(), false);
    }

    private HostileEnvelope StaleRecord(string receiver, string sender)
    {
        var (envelope, _) = FilingEnvelope(sender, receiver, new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
        return new(Stale, "signed in 2000", receiver, "stale", Sign(envelope, sender).ToByteArray(), false);
    }

    private HostileEnvelope PoisonRecord(string receiver, string sender, Random random)
    {
        var (envelope, _) = FilingEnvelope(sender, receiver);
        var what = random.Next(3) switch
        {
            0 => Set(() => envelope.Payload = ByteString.CopyFrom(HostileBodies.Garbage(random, 64)), "payload of random bytes"),
            1 => Set(() => envelope.MessageType = "NoSuchMessage", "unknown message type"),
            _ => Set(() => envelope.Payload = ByteString.CopyFrom(HostileBodies.Nested(200)), "payload nested 200 deep"),
        };
        // Signed after the change: these pass the signature and must fail on what they carry.
        return new(Poison, what, receiver, "poison", Sign(envelope, sender).ToByteArray(), false);
    }

    private HostileEnvelope TrustRecord(string stranger, Random random)
    {
        var (o, d) = (arena.Origin, arena.Destination);
        var letterId = $"{d}:{arena.TransferId}:letter";
        return random.Next(3) switch
        {
            0 => new(Trust, "withdrawal of a transfer the sender has no part in", o, arena.TransferId,
                Signed(stranger, o, arena.TransferId, new WithdrawalRequested { TransferId = arena.TransferId, Reason = "forged", RequestedOn = SyncDriver.Iso(TransferDriver.Today) }), false),
            1 => new(Trust, "receipt from a province that is not the receiver", d, "",
                Signed(stranger, d, "", new Receipt { MessageIds = { letterId } }), false),
            _ => new(Trust, "filing change for another owner", d, "trust", Signed(stranger, d, $"{o}Fforged", FilingEnvelope(o, d).Envelope.Payload, nameof(FilingChanged)), false),
        };
    }

    private static HostileEnvelope ReplayRecord(HostileEnvelope applied, Random random)
    {
        if (random.Next(3) != 0) return applied;
        // attempt is not part of the signature or the identity: a re-send with another count is the same message.
        var envelope = Envelope.Parser.ParseFrom(applied.Value);
        envelope.Attempt += 1 + random.Next(9);
        return applied with { What = applied.What + ", attempt changed", Value = envelope.ToByteArray() };
    }

    /// <summary>Envelopes another node sent to <paramref name="receiver"/> and got a receipt for: applied there.</summary>
    private async Task<List<HostileEnvelope>> AppliedAsync(string sender, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(cluster[sender].ConnectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "SELECT receiver, message_key, message_type, payload FROM outbox WHERE status = 'delivered' AND message_type <> 'Receipt' ORDER BY id LIMIT 50", conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<HostileEnvelope>();
        while (await reader.ReadAsync(ct))
        {
            var receiver = reader.GetString(0);
            if (!cluster.Nodes.ContainsKey(receiver)) continue;
            list.Add(new(Replay, $"{reader.GetString(2)} from {sender}", receiver, reader.GetString(1), (byte[])reader[3], true));
        }
        return list;
    }

    /// <summary>A new filing's FilingChanged from <paramref name="owner"/> to <paramref name="care"/>, unsigned: what the owner would send.</summary>
    private (Envelope Envelope, Filing Filing) FilingEnvelope(string owner, string care, DateTimeOffset? sentAt = null)
    {
        var region = cluster[owner].Registry.People[0].PoolingRegion;
        var careRegion = cluster[care].Registry.People[0].PoolingRegion;
        var n = Interlocked.Increment(ref _filings);
        var certno = IdentityNumbers.Compose(region, new DateOnly(1955, 1, 1).AddDays(n * 13 % 9000), 100 + n % 800);
        var today = TransferDriver.Today;
        var filing = new Filing
        {
            FilingId = $"F{owner}-forged-{Guid.NewGuid():N}"[..24],
            FiledOn = SyncDriver.Iso(today),
            Person = new Proto.Person
            {
                PsnName = "伪造人", PsnCertType = "01", Certno = certno, Phone = "13800000000",
                Gend = (certno[16] - '0') % 2 == 1 ? Proto.Gender.Male : Proto.Gender.Female,
            },
            Insutype = Proto.InsuranceType.Employee,
            Category = FilingCategory.LongTermResident,
            InsuplcAdmdvs = region,
            DestinationProvince = care,
            DestinationCity = BadInputArena.ProvinceOnly.Contains(care) ? "" : careRegion[..4] + "00",
            InsuredAddress = "参保地联系地址",
            CareAddress = "就医地联系地址",
            ValidFrom = SyncDriver.Iso(today),
            ValidTo = SyncDriver.Iso(today.AddYears(1)),
            Status = FilingStatus.Active,
        };
        return (SyncDriver.FilingChangedEnvelope(owner, care, filing, today, sentAt), filing);
    }

    private int _filings = seed % 1000;

    private Envelope Sign(Envelope envelope, string sender)
    {
        EnvelopeSigner.Sign(envelope, cluster.Keys.Current(sender));
        return envelope;
    }

    private byte[] Signed(string sender, string receiver, string correlation, IMessage payload) =>
        Signed(sender, receiver, correlation, payload.ToByteString(), payload.Descriptor.Name);

    private byte[] Signed(string sender, string receiver, string correlation, ByteString payload, string type) => Sign(new Envelope
    {
        MessageId = $"{sender}:{correlation}:forged:{Guid.NewGuid():N}",
        MessageType = type,
        SenderProvince = sender,
        ReceiverProvince = receiver,
        CorrelationId = correlation,
        SentAt = Timestamp.FromDateTime(DateTime.UtcNow),
        SchemaVersion = "1.0",
        Payload = payload,
        Attempt = 1,
    }, sender).ToByteArray();

    private static string Set(Action change, string what)
    {
        change();
        return what;
    }

    /// <summary>Writes every record, then an empty sentinel on each partition of each inbox: once a sentinel is dead-lettered, everything before it on its partition was read.</summary>
    public async Task<(List<Landed> Landed, List<Landed> Sentinels)> ProduceAsync(IReadOnlyList<HostileEnvelope> envelopes, CancellationToken ct)
    {
        var options = KafkaOptions.ForEmbeddedBroker(cluster.Broker.BootstrapServers, "bad-input-run");
        using var producer = new ProducerBuilder<string?, byte[]?>(options.CreateProducerConfig()).Build();
        var landed = new List<Landed>(envelopes.Count);
        foreach (var e in envelopes)
        {
            var result = await producer.ProduceAsync(TopicNames.Inbox(e.Receiver), new Message<string?, byte[]?> { Key = e.Key, Value = e.Value }, ct);
            landed.Add(new Landed(e, result.Topic, result.Partition.Value, result.Offset.Value));
        }
        var sentinels = new List<Landed>();
        foreach (var receiver in envelopes.Select(e => e.Receiver).Distinct())
            for (var p = 0; p < cluster.Options.InboxPartitions; p++)
            {
                var sentinel = new HostileEnvelope("sentinel", "empty record", receiver, "sentinel", [], false);
                var result = await producer.ProduceAsync(new TopicPartition(TopicNames.Inbox(receiver), new Partition(p)),
                    new Message<string?, byte[]?> { Key = sentinel.Key, Value = sentinel.Value }, ct);
                sentinels.Add(new Landed(sentinel, result.Topic, result.Partition.Value, result.Offset.Value));
            }
        return (landed, sentinels);
    }
}
