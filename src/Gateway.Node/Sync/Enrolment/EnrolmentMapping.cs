using Gateway.Domain.Enrolment;
using Gateway.Domain.Values;
using Gateway.Storage;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using DomainFinding = Gateway.Domain.Enrolment.DuplicateEnrolmentFinding;
using DomainRecord = Gateway.Domain.Enrolment.EnrolmentRecord;
using SyncV1 = Gateway.Contracts.Sync.V1;

namespace Gateway.Node.Sync.Enrolment;

/// <summary>Protobuf ↔ domain ↔ stored rows for enrolment sync.</summary>
public static class EnrolmentMapping
{
    public static SyncV1.PersonRef PersonRef(IdentityNumber person) =>
        new() { PsnCertType = person.DocumentType.ToNationalCode(), Certno = person.Value };

    /// <summary>The row for a validated record at <paramref name="version"/>; the document is the record in canonical form.</summary>
    public static StoredEnrolmentRecord Stored(string owner, SyncV1.EnrolmentRecord record, DomainRecord domain, string personKey, long version,
        DateTimeOffset now, string? indexProvince = null) =>
        new(owner, domain.RecordId, personKey, version, domain.PoolingRegion.Value, (int)domain.InsuranceType, (int)domain.Status,
            domain.From.ToString(), domain.To.ToString(), (int)domain.Basis, domain.CurrentEmployment, Canonical(record, domain).ToByteArray(), now,
            indexProvince);

    /// <summary>The record as it is stored and sent on: document type spelled out, number in canonical form.</summary>
    public static SyncV1.EnrolmentRecord Canonical(SyncV1.EnrolmentRecord record, DomainRecord domain)
    {
        var copy = record.Clone();
        copy.Person = PersonRef(domain.Person);
        if (copy.Basis == SyncV1.EnrolmentBasis.Unspecified) copy.Basis = SyncV1.EnrolmentBasis.Standard;
        return copy;
    }

    /// <summary>A stored record for the detector. Stored documents were validated when they were applied.</summary>
    public static DomainRecord ToDomain(StoredEnrolmentRecord stored)
    {
        var r = SyncV1.EnrolmentRecord.Parser.ParseFrom(stored.Document);
        CertificateDocumentTypes.TryFromNationalCode(r.Person?.PsnCertType, out var type);
        return new DomainRecord(r.RecordId, new IdentityNumber(type, r.Person?.Certno ?? ""), new DivisionCode(r.InsuplcAdmdvs),
            (InsuranceType)r.Insutype, (EnrolmentStatus)r.Status, YearMonth.Parse(r.PaidFrom), YearMonth.Parse(r.PaidTo),
            r.Basis == SyncV1.EnrolmentBasis.Unspecified ? EnrolmentBasis.Standard : (EnrolmentBasis)r.Basis, r.CurrentEmployment,
            string.IsNullOrEmpty(r.StudyPlaceAdmdvs) ? null : new DivisionCode(r.StudyPlaceAdmdvs), r.ContinuousEmployeeMonths);
    }

    public static SyncV1.VersionedEnrolmentRecord Versioned(StoredEnrolmentRecord stored) => new()
    {
        OwnerProvince = stored.OwnerProvince,
        Version = stored.Version,
        Record = SyncV1.EnrolmentRecord.Parser.ParseFrom(stored.Document),
        AppliedAt = Timestamp.FromDateTimeOffset(stored.AppliedAt),
    };

    public static SyncV1.RecordRef Ref(DomainRecord r) => new() { OwnerProvince = r.Province.Value, RecordId = r.RecordId };

    public static SyncV1.DuplicateEnrolmentFinding ToProto(DomainFinding f, string indexProvince)
    {
        var proto = new SyncV1.DuplicateEnrolmentFinding
        {
            FindingId = f.Id,
            Kind = (SyncV1.DuplicateEnrolmentKind)f.Kind,
            Person = PersonRef(f.Records[0].Person),
            From = f.From.ToString(),
            To = f.To.ToString(),
            Resolution = (SyncV1.DuplicateResolution)f.Resolution,
            Action = (SyncV1.DuplicateAction)f.Action,
            Explanation = f.Explanation,
            IndexProvince = indexProvince,
        };
        proto.Records.AddRange(f.Records.Select(Ref).OrderBy(r => r.OwnerProvince, StringComparer.Ordinal).ThenBy(r => r.RecordId, StringComparer.Ordinal));
        if (f.Keep is { } keep) proto.Keep = Ref(keep);
        return proto;
    }

    public static StoredDuplicateFinding Stored(SyncV1.DuplicateEnrolmentFinding f, string personKey, DateTimeOffset now) =>
        new(f.FindingId, personKey, ((DuplicateEnrolmentKind)f.Kind).ToString(), f.From, f.To, ((DuplicateResolution)f.Resolution).ToString(),
            f.ToByteArray(), now);
}
