using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Domain.Enrolment;
using Gateway.Domain.Values;
using Gateway.Node.Exchange;
using Gateway.Node.Infrastructure;
using Gateway.Storage;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Npgsql;
using SyncV1 = Gateway.Contracts.Sync.V1;
using WorkItem = Gateway.Contracts.Transfer.V1.WorkItem;

namespace Gateway.Node.Sync.Enrolment;

/// <summary>Reason codes of enrolment sync.</summary>
public static class EnrolmentCodes
{
    public const string VersionConflict = "VERSION_CONFLICT";
    public const string RecordPersonFixed = "RECORD_PERSON_FIXED";
    public const string IndexUnreachable = "INDEX_PROVINCE_UNREACHABLE";
    public const string TooManyQueries = "TOO_MANY_INDEX_QUERIES";
    /// <summary>Dead-letter code: an enrolment envelope sent to a node that is not the person's index province.</summary>
    public const string NotIndexProvince = "NOT_INDEX_PROVINCE";
}

/// <summary>
/// What the index province does with a person's records: detect duplicate enrolment over every owner's records it holds,
/// record each new finding once, and tell every province involved (itself through a work item, the others through
/// DuplicateEnrolmentFound); and what an involved province does with a finding.
/// </summary>
public sealed class EnrolmentSync(NodeIdentity node, EnvelopeFactory envelopes, BusinessClock clock, ILogger<EnrolmentSync> logger)
{
    /// <summary>The change log's kind for enrolment records.</summary>
    public const string ChangeKind = RecordKinds.Enrolment;

    public BusinessClock Clock => clock;

    /// <summary>Message step of a record change: unique per version and receiver, so a re-send dedupes.</summary>
    public static string ChangeStep(long version, string receiver) => $"enrolment-v{version}-{receiver}";

    public static string FoundStep(string receiver) => $"found-{receiver}";

    public static string WorkItemId(string findingId) => $"dup:{findingId}";

    /// <summary>Inside the caller's transaction (holding the person's lock): detect, record and notify new findings.</summary>
    public async Task DetectAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string personKey, CancellationToken ct)
    {
        foreach (var finding in await FindingsAsync(conn, tx, personKey, ct))
        {
            if (!await EnrolmentStore.AddFindingAsync(conn, tx, EnrolmentMapping.Stored(finding, personKey, clock.UtcNow), ct))
                continue; // notified when it was first found
            var involved = finding.Records.Select(r => r.OwnerProvince).Distinct().Order(StringComparer.Ordinal).ToList();
            logger.LogInformation("Duplicate enrolment {FindingId} ({Kind}) found for person {PersonKey}; notifying {Provinces}",
                finding.FindingId, finding.Kind, personKey, string.Join(", ", involved));
            foreach (var owner in involved)
            {
                if (owner == node.Province)
                    await TakeUpAsync(conn, tx, finding, ct);
                else
                    await Outbound.EnqueueAsync(conn, tx,
                        envelopes.Create(owner, finding.FindingId, FoundStep(owner), new DuplicateEnrolmentFound { FindingId = finding.FindingId, Finding = finding }),
                        personKey, ct);
            }
        }
    }

    /// <summary>The person's findings over the records held here now (deterministic ids, so they match what was notified).</summary>
    public async Task<IReadOnlyList<SyncV1.DuplicateEnrolmentFinding>> FindingsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string personKey, CancellationToken ct)
    {
        var records = await EnrolmentStore.ForPersonAsync(conn, tx, personKey, ct);
        return Findings(records);
    }

    private IReadOnlyList<SyncV1.DuplicateEnrolmentFinding> Findings(IReadOnlyList<StoredEnrolmentRecord> records) =>
        DuplicateEnrolmentDetector.Detect(records.Select(EnrolmentMapping.ToDomain))
            .Select(f => EnrolmentMapping.ToProto(f, node.Province))
            .OrderBy(f => f.Kind).ThenBy(f => f.From, StringComparer.Ordinal).ThenBy(f => f.FindingId, StringComparer.Ordinal)
            .ToList();

    /// <summary>Everything this node holds about the person: the answer to a summary or duplicate check.</summary>
    public async Task<EnrolmentQueryAnswered> AnswerAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IdentityNumber person, CancellationToken ct)
    {
        var records = await EnrolmentStore.ForPersonAsync(conn, tx, Domain.Records.PersonKey.Of(person).Value, ct);
        var answer = new EnrolmentQueryAnswered();
        answer.Records.AddRange(records.Select(EnrolmentMapping.Versioned));
        answer.Findings.AddRange(Findings(records));
        return answer;
    }

    /// <summary>
    /// This province's part in a finding: a work item for its province system (deterministic id from the finding, so a
    /// repeated notice adds nothing). The finding row is the caller's.
    /// </summary>
    public async Task TakeUpAsync(NpgsqlConnection conn, NpgsqlTransaction tx, SyncV1.DuplicateEnrolmentFinding finding, CancellationToken ct)
    {
        var item = new WorkItem
        {
            ItemId = WorkItemId(finding.FindingId),
            Kind = WorkItemKind.DuplicateEnrolment,
            CreatedAt = Timestamp.FromDateTimeOffset(clock.UtcNow),
            Person = new Person { PsnCertType = finding.Person.PsnCertType, Certno = finding.Person.Certno },
            CounterpartProvince = finding.IndexProvince,
            DuplicateEnrolment = finding,
        };
        await WorkItemStore.AddAsync(conn, tx, new Storage.WorkItem(item.ItemId, item.Kind.ToString(), null, item.ToByteArray(), clock.UtcNow,
            Telemetry.GatewayTelemetry.CurrentTraceParent()), ct);
    }
}
