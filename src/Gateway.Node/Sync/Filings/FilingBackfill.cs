using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Documents;
using Gateway.Domain.Records;
using Gateway.Node.Application;
using Gateway.Node.Infrastructure;
using Gateway.Node.Sync.Backfill;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;

namespace Gateway.Node.Sync.Filings;

/// <summary>Owner: its current filings for care in the requester's province, one person-key slice in (person key, id) order.</summary>
public sealed class FilingBackfillSource(NodeIdentity node) : IBackfillSource
{
    public string Kind => RecordKinds.Filing;

    public async Task<BackfillSourcePage> ReadPageAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string requester, PersonKeyRange range,
        BackfillCursor after, int maxRecords, int maxBytes, CancellationToken ct)
    {
        // One more than asked tells whether this page is the last without another round trip.
        var rows = await FilingReplicaBatch.OwnedForDestinationAsync(conn, tx, node.Province, requester, range, after.PersonKey, after.RecordId,
            maxRecords + 1, ct);
        return BackfillSourcePage.From(rows, after, maxRecords, maxBytes, row => new FilingChanged
        {
            OwnerProvince = row.OwnerProvince,
            Filing = Filing.Parser.ParseFrom(row.Document),
            Version = row.Version,
            Action = (FilingAction)Enum.Parse<CareFilingAction>(row.LastAction),
            Reason = row.LastReason ?? "",
            Removed = false,
        }.ToByteString(), row => new BackfillCursor(row.PersonKey, row.FilingId));
    }
}

/// <summary>
/// Requester: one owner's page applied in one statement, version-guarded (a live change already here with a higher
/// version stays), every record checked as a live FilingChanged would be, and the changed ones logged for watchers.
/// </summary>
public sealed class FilingBackfillSink(NodeIdentity node, BusinessClock clock, RecordChangeSignal changes) : IBackfillSink
{
    public string Kind => RecordKinds.Filing;

    public async Task<int> ApplyPageAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string ownerProvince, IReadOnlyList<ByteString> records,
        CancellationToken ct)
    {
        var now = clock.UtcNow;
        var rows = new Dictionary<string, FilingRow>(StringComparer.Ordinal);
        foreach (var bytes in records)
        {
            FilingChanged m;
            try { m = FilingChanged.Parser.ParseFrom(bytes); }
            catch (InvalidProtocolBufferException ex) { throw new PoisonMessageException($"A backfill record is not a FilingChanged: {ex.Message}"); }
            if (m.Removed) throw new PoisonMessageException("A backfill page carries only filings held by the requester, never removals.");
            var filing = FilingReplicas.CheckFromOwner(m, ownerProvince);
            var row = FilingReplicas.UpsertRow(m, filing, PersonKey.Of(filing.Person.Identity).Value, node.Province, now);
            // A page lists each filing once; should one repeat, its highest version is the one to apply.
            if (!rows.TryGetValue(row.FilingId, out var seen) || seen.Version < row.Version) rows[row.FilingId] = row;
        }

        var applied = await FilingReplicaBatch.ApplyAsync(conn, tx, rows.Values.ToList(), ct);
        await RecordChangeLog.AppendManyAsync(conn, tx, RecordKinds.Filing,
            applied.Select(r => (r.OwnerProvince, r.FilingId, r.PersonKey, r.Version, RecordChangeLog.Upsert, (byte[]?)r.Document)).ToList(), now, ct);
        if (applied.Count > 0) changes.Notify();
        return applied.Count;
    }
}
