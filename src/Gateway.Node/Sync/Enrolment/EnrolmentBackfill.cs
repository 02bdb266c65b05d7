using Gateway.Contracts.Exchange.V1;
using Gateway.Node.Application;
using Gateway.Node.Infrastructure;
using Gateway.Node.Sync.Backfill;
using Gateway.Node.Sync.Enrolment.Inbound;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;

namespace Gateway.Node.Sync.Enrolment;

/// <summary>Owner: its own records of the persons indexed at the requester, one person-key slice in (person key, id) order.</summary>
public sealed class EnrolmentBackfillSource(NodeIdentity node) : IBackfillSource
{
    public string Kind => EnrolmentSync.ChangeKind;

    public async Task<BackfillSourcePage> ReadPageAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string requester, PersonKeyRange range,
        BackfillCursor after, int maxRecords, int maxBytes, CancellationToken ct)
    {
        var rows = await EnrolmentStore.OwnedForIndexAsync(conn, tx, node.Province, requester, range, after.PersonKey, after.RecordId,
            maxRecords + 1, ct);
        return BackfillSourcePage.From(rows, after, maxRecords, maxBytes, row => new EnrolmentChanged
        {
            OwnerProvince = row.OwnerProvince,
            Record = Contracts.Sync.V1.EnrolmentRecord.Parser.ParseFrom(row.Document),
            Version = row.Version,
        }.ToByteString(), row => new BackfillCursor(row.PersonKey, row.RecordId));
    }
}

/// <summary>
/// Index province: each record of an owner's page applied as a live EnrolmentChanged would be (same trust rules,
/// version guard, duplicate detection and change log), one after another in the page's transaction.
/// </summary>
public sealed class EnrolmentBackfillSink(EnrolmentReplicas replicas) : IBackfillSink
{
    public string Kind => EnrolmentSync.ChangeKind;

    public async Task<int> ApplyPageAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string ownerProvince, IReadOnlyList<ByteString> records,
        CancellationToken ct)
    {
        var applied = 0;
        foreach (var bytes in records)
        {
            EnrolmentChanged m;
            try { m = EnrolmentChanged.Parser.ParseFrom(bytes); }
            catch (InvalidProtocolBufferException ex) { throw new PoisonMessageException($"A backfill record is not an EnrolmentChanged: {ex.Message}"); }
            if (await replicas.ApplyFromOwnerAsync(conn, tx, ownerProvince, m, ct)) applied++;
        }
        return applied;
    }
}
