using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Records;
using Gateway.Node.Application;
using Gateway.Node.Exchange;
using Gateway.Node.Grpc;
using Gateway.Node.Infrastructure;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;

namespace Gateway.Node.Sync.Enrolment.Calls;

/// <summary>
/// The owner province publishes one of its records. The new version (1 on create, +1 per change) is assigned here in
/// the call's transaction, which also sends the change to the person's index province (or, when this node is the
/// index, detects duplicates at once) and appends it to the change log.
/// </summary>
public sealed class PublishEnrolmentHandler(NodeIdentity node, ExchangeMembership exchange, EnrolmentSync sync, EnvelopeFactory envelopes,
    RecordChangeSignal changes)
{
    public async Task<PublishEnrolmentResponse> HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, PublishEnrolmentRequest request, CancellationToken ct)
    {
        var violations = new List<(string Field, string Description)>();
        var record = EnrolmentRequestValidation.Record(request.Record, "record", sync.Clock.Today, violations);
        if (request.ExpectedVersion < 0) violations.Add(("expected_version", "0 for a new record, otherwise the record's current version"));
        if (violations.Count > 0) throw new InvalidRequestException(violations);
        if (record!.Province.Value != node.Province)
            throw new ActingProvinceException("record.insuplc_admdvs", node.Province,
                $"The record's region is province {record.Province.Value}'s: only its owner publishes it, and this node is {node.Province}.");

        var personKey = PersonKey.Of(record!.Person).Value;
        await EnrolmentStore.LockPersonAsync(conn, tx, personKey, ct);
        var current = await EnrolmentStore.LockOwnAsync(conn, tx, node.Province, record.RecordId, ct);
        var currentVersion = current?.Version ?? 0;
        if (request.ExpectedVersion != currentVersion)
            throw VersionConflict(currentVersion, request.ExpectedVersion);
        if (current is { } held && held.PersonKey != personKey)
            throw new RefusedException(EnrolmentCodes.RecordPersonFixed,
                "A record keeps the person it was created for; terminate it and publish a new record for the other person.");

        var version = currentVersion + 1;
        var document = EnrolmentMapping.Canonical(request.Record, record);
        // The owner keeps the index on its row: a backfill of that index province reads its persons' records by it.
        var index = exchange.IndexOf(record.Person);
        if (!await EnrolmentStore.UpsertIfNewerAsync(conn, tx,
                EnrolmentMapping.Stored(node.Province, document, record, personKey, version, sync.Clock.UtcNow, index), ct))
            throw VersionConflict(version, request.ExpectedVersion); // a concurrent create won

        if (index == node.Province)
            await sync.DetectAsync(conn, tx, personKey, ct);
        else
            await Outbound.EnqueueAsync(conn, tx, envelopes.Create(index, record.RecordId, EnrolmentSync.ChangeStep(version, index),
                new EnrolmentChanged { OwnerProvince = node.Province, Record = document, Version = version }), personKey, ct);
        await RecordChangeLog.AppendAsync(conn, tx, EnrolmentSync.ChangeKind, node.Province, record.RecordId, personKey, version,
            RecordChangeLog.Upsert, document.ToByteArray(), sync.Clock.UtcNow, ct);
        changes.Notify();
        return new PublishEnrolmentResponse { OwnerProvince = node.Province, RecordId = record.RecordId, Version = version, IndexProvince = index };
    }

    private static RefusedException VersionConflict(long current, long expected) =>
        new(EnrolmentCodes.VersionConflict,
            $"The record is at version {current}, not {expected}; read the current version and publish the change on it.",
            new Dictionary<string, string> { ["current_version"] = current.ToString(System.Globalization.CultureInfo.InvariantCulture) });
}
