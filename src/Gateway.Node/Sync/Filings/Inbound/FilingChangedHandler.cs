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
/// destination province; a removal only of a filing held here (or already a tombstone). An older or repeated version
/// changes nothing and is acknowledged like any other envelope. Each applied change goes to the change log.
/// </summary>
public sealed class FilingChangedHandler(NodeIdentity node, BusinessClock clock, RecordChangeSignal changes) : InboundHandler<FilingChanged>
{
    protected override async Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, FilingChanged m, CancellationToken ct)
    {
        if (m.OwnerProvince != envelope.SenderProvince)
            throw new UntrustedEnvelopeException(FilingTrustCodes.SenderNotOwner,
                $"A FilingChanged from {envelope.SenderProvince} names another owner ({Short(m.OwnerProvince, 8)}).");
        if (m.Filing is null) throw new PoisonMessageException("FilingChanged carries no filing.");
        var violations = RequestValidation.FilingViolations(m.Filing, out var filing);
        if (violations.Count > 0)
            throw new PoisonMessageException($"FilingChanged carries an invalid filing: {string.Join(", ", violations.Take(5).Select(v => v.Field))}.");
        if (filing.InsuredRegion.Province.Value != m.OwnerProvince)
            throw new UntrustedEnvelopeException(FilingTrustCodes.SenderNotOwner,
                $"Province {m.OwnerProvince} sent a filing insured in province {filing.InsuredRegion.Province}; only that province owns it.");
        if (envelope.CorrelationId != FilingSteps.CorrelationId(m.OwnerProvince, filing.FilingId))
            throw new PoisonMessageException("FilingChanged names another filing than its envelope's correlation id.");
        if (m.Version < 1) throw new PoisonMessageException("FilingChanged has no version (1 or more).");
        if (m.Action == FilingAction.Unspecified || !Enum.IsDefined(m.Action))
            throw new PoisonMessageException("FilingChanged names no action it defines.");

        var personKey = PersonKey.Of(filing.Person.Identity).Value;
        var now = clock.UtcNow;
        bool changed;
        string change;
        byte[]? payload;
        if (!m.Removed)
        {
            if (filing.DestinationProvince.Value != node.Province)
                throw new UntrustedEnvelopeException(FilingTrustCodes.NotProvinceOfCare,
                    $"A filing for care in province {filing.DestinationProvince} was sent to {node.Province}.");
            payload = m.Filing.ToByteArray();
            var row = new FilingRow(m.OwnerProvince, filing.FilingId, m.Version, personKey, filing.Status.ToString(), filing.Category.ToString(),
                (int)filing.InsuranceType, filing.DestinationProvince.Value, filing.DestinationCity?.Value is { Length: > 0 } city ? city : null,
                filing.ValidFrom, filing.ValidTo, payload, Removed: false, DeliveredTo: null, ((CareFilingAction)m.Action).ToString(),
                string.IsNullOrEmpty(m.Reason) ? null : m.Reason, now);
            changed = await FilingStore.ApplyReplicaAsync(conn, tx, row, ct);
            change = RecordChangeLog.Upsert;
        }
        else
        {
            if (filing.DestinationProvince.Value == node.Province)
                throw new PoisonMessageException("FilingChanged removes a filing from the province it names as its destination.");
            var held = await FilingStore.FindAsync(conn, tx, m.OwnerProvince, filing.FilingId, forUpdate: true, ct);
            if (held is null)
                throw new UntrustedEnvelopeException(FilingTrustCodes.NotProvinceOfCare,
                    $"A removal of filing {m.OwnerProvince}/{Short(filing.FilingId, 64)}, which this node never held.");
            changed = await FilingStore.RemoveReplicaAsync(conn, tx, m.OwnerProvince, filing.FilingId, m.Version,
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
