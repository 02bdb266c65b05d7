using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Documents;
using Gateway.Node.Application;
using Gateway.Node.Exchange;
using Gateway.Node.Grpc;
using Gateway.Storage;
using Google.Protobuf;

namespace Gateway.Node.Sync.Filings;

/// <summary>
/// The trust and shape rules for a filing version arriving from its owner, shared by the live FilingChanged and the
/// records of a backfill page, so both paths accept exactly the same things.
/// </summary>
public static class FilingReplicas
{
    /// <summary>The filing, when the sender owns it and the version is well formed; otherwise untrusted or poison.</summary>
    public static CareFiling CheckFromOwner(FilingChanged m, string sender)
    {
        if (m.OwnerProvince != sender)
            throw new UntrustedEnvelopeException(FilingTrustCodes.SenderNotOwner,
                $"A FilingChanged from {sender} names another owner ({WireText.Clean(m.OwnerProvince, 8)}).");
        if (m.Filing is null) throw new PoisonMessageException("FilingChanged carries no filing.");
        var violations = RequestValidation.FilingViolations(m.Filing, out var filing);
        if (violations.Count > 0)
            throw new PoisonMessageException($"FilingChanged carries an invalid filing: {string.Join(", ", violations.Take(5).Select(v => v.Field))}.");
        if (filing.InsuredRegion.Province.Value != m.OwnerProvince)
            throw new UntrustedEnvelopeException(FilingTrustCodes.SenderNotOwner,
                $"Province {m.OwnerProvince} sent a filing insured in province {filing.InsuredRegion.Province}; only that province owns it.");
        if (m.Version < 1) throw new PoisonMessageException("FilingChanged has no version (1 or more).");
        if (m.Action == FilingAction.Unspecified || !Enum.IsDefined(m.Action))
            throw new PoisonMessageException("FilingChanged names no action it defines.");
        return filing;
    }

    /// <summary>The replica row of an upsert; only the filing's province of care may hold it.</summary>
    public static FilingRow UpsertRow(FilingChanged m, CareFiling filing, string personKey, string self, DateTimeOffset now)
    {
        if (filing.DestinationProvince.Value != self)
            throw new UntrustedEnvelopeException(FilingTrustCodes.NotProvinceOfCare,
                $"A filing for care in province {filing.DestinationProvince} was sent to {self}.");
        return Row(m, filing, personKey, removed: false, now);
    }

    /// <summary>A tombstone at the removal's version for a filing this node never held.</summary>
    public static FilingRow TombstoneRow(FilingChanged m, CareFiling filing, string personKey, DateTimeOffset now) =>
        Row(m, filing, personKey, removed: true, now);

    private static FilingRow Row(FilingChanged m, CareFiling filing, string personKey, bool removed, DateTimeOffset now) =>
        new(m.OwnerProvince, filing.FilingId, m.Version, personKey, filing.Status.ToString(), filing.Category.ToString(),
            (int)filing.InsuranceType, filing.DestinationProvince.Value, filing.DestinationCity?.Value is { Length: > 0 } city ? city : null,
            filing.ValidFrom, filing.ValidTo, m.Filing.ToByteArray(), Removed: removed, DeliveredTo: null, ((CareFilingAction)m.Action).ToString(),
            string.IsNullOrEmpty(m.Reason) ? null : m.Reason, now);
}
