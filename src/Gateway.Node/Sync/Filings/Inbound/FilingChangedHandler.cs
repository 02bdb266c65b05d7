using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Documents;
using Gateway.Domain.Records;
using Gateway.Node.Application;
using Gateway.Node.Grpc;
using Gateway.Node.Infrastructure;
using Gateway.Node.Transfers.Inbound;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;

namespace Gateway.Node.Sync.Filings.Inbound;

/// <summary>
/// Province of care: applies one version of a filing from its owner, version-guarded, inside the inbox transaction.
/// Only the owner may send it (sender = owner_province = the filing's insured province); an upsert only to its
/// destination province; a removal to any other province, which keeps (or becomes) a tombstone. An older or repeated version
/// changes nothing and is acknowledged like any other envelope. Each applied change goes to the change log.
/// </summary>
public sealed class FilingChangedHandler(NodeIdentity node, BusinessClock clock, RecordChangeSignal changes) : InboundHandler<FilingChanged>
{
    protected override async Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, FilingChanged m, CancellationToken ct)
    {
        var filing = FilingReplicas.CheckFromOwner(m, envelope.SenderProvince);
        if (envelope.CorrelationId != FilingSteps.CorrelationId(m.OwnerProvince, filing.FilingId))
            throw new PoisonMessageException("FilingChanged names another filing than its envelope's correlation id.");

        var personKey = PersonKey.Of(filing.Person.Identity).Value;
        var now = clock.UtcNow;
        bool changed;
        string change;
        byte[]? payload;
        if (!m.Removed)
        {
            var row = FilingReplicas.UpsertRow(m, filing, personKey, node.Province, now);
            payload = row.Document;
            changed = await FilingStore.ApplyReplicaAsync(conn, tx, row, ct);
            change = RecordChangeLog.Upsert;
        }
        else
        {
            if (filing.DestinationProvince.Value == node.Province)
                throw new PoisonMessageException("FilingChanged removes a filing from the province it names as its destination.");
            var held = await FilingStore.FindAsync(conn, tx, m.OwnerProvince, filing.FilingId, forUpdate: true, ct);
            // Never held (its upsert was lost or is still being re-sent): keep a tombstone at this version anyway, so
            // that older upsert cannot make this province hold a filing that moved away.
            changed = held is null
                ? await FilingStore.ApplyReplicaAsync(conn, tx, FilingReplicas.TombstoneRow(m, filing, personKey, now), ct)
                : await FilingStore.RemoveReplicaAsync(conn, tx, m.OwnerProvince, filing.FilingId, m.Version,
                    ((CareFilingAction)m.Action).ToString(), now, ct);
            change = RecordChangeLog.Removed;
            payload = null;
        }

        if (!changed) return; // an older or repeated version: acknowledged, nothing applied
        await RecordChangeLog.AppendAsync(conn, tx, RecordKinds.Filing, m.OwnerProvince, filing.FilingId, personKey, m.Version, change, payload, now, ct);
        // Raised before the inbox commits; watchers also wake on the inbox's own after-commit signal and poll.
        changes.Notify();
    }

    private static string Short(string? text, int max) => Exchange.WireText.Clean(text, max);
}
