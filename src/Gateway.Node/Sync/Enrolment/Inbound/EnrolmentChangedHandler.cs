using Gateway.Contracts.Exchange.V1;
using Gateway.Domain.Records;
using Gateway.Node.Application;
using Gateway.Node.Exchange;
using Gateway.Node.Grpc;
using Gateway.Node.Infrastructure;
using Gateway.Node.Transfers;
using Gateway.Node.Transfers.Inbound;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;

namespace Gateway.Node.Sync.Enrolment.Inbound;

/// <summary>
/// Index province: an owner's record at a new version. Trusted only from the owner (sender = owner_province = the
/// record's region province) and only here, at the person's index province. Applied version-guarded: an older or equal
/// version is acknowledged and ignored; an applied one is checked for duplicates and logged.
/// </summary>
public sealed class EnrolmentChangedHandler(EnrolmentReplicas replicas) : InboundHandler<EnrolmentChanged>
{
    protected override Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, EnrolmentChanged m, CancellationToken ct) =>
        replicas.ApplyFromOwnerAsync(conn, tx, envelope.SenderProvince, m, ct);
}

/// <summary>
/// The index province's rules for an owner's record version, shared by the live EnrolmentChanged and the records of a
/// backfill page, so both accept exactly the same things.
/// </summary>
public sealed class EnrolmentReplicas(NodeIdentity node, ExchangeMembership exchange, EnrolmentSync sync, RecordChangeSignal changes,
    ILogger<EnrolmentReplicas> logger)
{
    /// <summary>True when the version was newer and applied (checked for duplicates and logged).</summary>
    public async Task<bool> ApplyFromOwnerAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sender, EnrolmentChanged m, CancellationToken ct)
    {
        EnrolmentRequestValidation.Normalize(m.Record?.Person);
        var violations = new List<(string Field, string Description)>();
        var record = EnrolmentRequestValidation.Record(m.Record, "record", sync.Clock.Today, violations);
        // Field names only: a description may quote part of an identity number, and reasons are logged.
        if (record is null)
            throw new PoisonMessageException($"EnrolmentChanged carries an invalid record ({string.Join(", ", violations.Select(v => v.Field).Distinct())}).");
        if (m.Version <= 0) throw new PoisonMessageException("EnrolmentChanged carries no version (versions start at 1).");

        if (sender != m.OwnerProvince || record.Province.Value != m.OwnerProvince)
            throw new UntrustedEnvelopeException(TrustCodes.SenderMismatch,
                $"An enrolment change from {sender} for a record of {record.Province.Value} (owner named: {WireText.Clean(m.OwnerProvince, 8)}); only the owner writes its records.");
        if (exchange.IndexOf(record.Person) != node.Province)
            throw new UntrustedEnvelopeException(EnrolmentCodes.NotIndexProvince, "An enrolment change for a person whose index province is not this node.");

        var personKey = PersonKey.Of(record.Person).Value;
        await EnrolmentStore.LockPersonAsync(conn, tx, personKey, ct);
        var document = EnrolmentMapping.Canonical(m.Record!, record);
        if (!await EnrolmentStore.UpsertIfNewerAsync(conn, tx, EnrolmentMapping.Stored(m.OwnerProvince, document, record, personKey, m.Version, sync.Clock.UtcNow), ct))
        {
            logger.LogDebug("Enrolment record {Owner}/{RecordId} v{Version} is not newer than the one held; ignored", m.OwnerProvince, record.RecordId, m.Version);
            return false;
        }
        await sync.DetectAsync(conn, tx, personKey, ct);
        await RecordChangeLog.AppendAsync(conn, tx, EnrolmentSync.ChangeKind, m.OwnerProvince, record.RecordId, personKey, m.Version,
            RecordChangeLog.Upsert, document.ToByteArray(), sync.Clock.UtcNow, ct);
        changes.Notify();
        return true;
    }
}
