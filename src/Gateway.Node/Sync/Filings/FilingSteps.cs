using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Documents;
using Gateway.Node.Application;
using Gateway.Node.Exchange;
using Gateway.Node.Infrastructure;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;

namespace Gateway.Node.Sync.Filings;

/// <summary>
/// What every owner-side filing call does, inside the call's transaction: load the owner's row under lock, check the
/// expected version and the lifecycle, then write the next version, send it to the province of care (and the removal
/// to the province it left) through the outbox, and log it in the change log — all committed together.
/// </summary>
public sealed class FilingSteps(NodeIdentity node, BusinessClock clock, EnvelopeFactory envelopes)
{
    public NodeIdentity Node => node;
    public BusinessClock Clock => clock;

    /// <summary>The envelope correlation of a filing: owner-scoped, at most 67 characters.</summary>
    public static string CorrelationId(string owner, string filingId) => $"{owner}F{filingId}";

    /// <summary>Unique per (version, receiver), so a re-send of one delivery carries the same message id.</summary>
    public static string Step(long version, string receiver) => $"filing-v{version}-{receiver}";

    public async Task<FilingRow> LoadOwnForUpdateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string filingId, CancellationToken ct) =>
        await FilingStore.FindAsync(conn, tx, node.Province, filingId, forUpdate: true, ct)
        ?? throw new NotFoundException($"No filing '{filingId}' filed at node {node.Province}.");

    public static void CheckVersion(FilingRow row, long expectedVersion)
    {
        if (row.Version != expectedVersion)
            throw new RefusedException(FilingReasons.VersionConflict,
                $"The filing is at version {row.Version}, not {expectedVersion}: read it again and base the step on the current version.",
                new Dictionary<string, string> { ["current_version"] = row.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    public static CareFilingStatus NextStatus(CareFilingStatus? current, CareFilingAction action)
    {
        if (CareFilingLifecycle.TryApply(current, action, out var next, out var error)) return next;
        throw new RefusedException(FilingReasons.IllegalLifecycleStep, $"Cannot {action.ToString().ToLowerInvariant()} the filing: {error}.",
            new Dictionary<string, string> { ["current_status"] = current?.ToString() ?? "" });
    }

    /// <summary>Suspend, resume or terminate: the same content at the next version with the new status.</summary>
    public async Task<FilingView> StepAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string filingId, long expectedVersion, string reason,
        CareFilingAction action, CancellationToken ct)
    {
        Grpc.RequestValidation.ValidateFilingStep(filingId, expectedVersion);
        var row = await LoadOwnForUpdateAsync(conn, tx, filingId, ct);
        CheckVersion(row, expectedVersion);
        var next = NextStatus(FilingViews.StatusOf(row), action);
        var document = Filing.Parser.ParseFrom(row.Document);
        document.Status = (FilingStatus)next;
        return await CommitOwnAsync(conn, tx, document, row.PersonKey, row, action, string.IsNullOrEmpty(reason) ? null : reason, ct);
    }

    /// <summary>
    /// Writes version previous + 1 (1 for a new filing) of <paramref name="document"/> (validated, status set), sends
    /// FilingChanged to its province of care and, when the destination moved, the removal (same version) to the old one,
    /// and appends the change-log entry last.
    /// </summary>
    public async Task<FilingView> CommitOwnAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Filing document, string personKey,
        FilingRow? previous, CareFilingAction action, string? reason, CancellationToken ct)
    {
        var now = clock.UtcNow;
        var version = (previous?.Version ?? 0) + 1;
        var destination = document.DestinationProvince;
        var bytes = document.ToByteArray();
        var row = new FilingRow(node.Province, document.FilingId, version, personKey, ((CareFilingStatus)document.Status).ToString(),
            ((CareFilingCategory)document.Category).ToString(), (int)document.Insutype, destination,
            string.IsNullOrEmpty(document.DestinationCity) ? null : document.DestinationCity,
            FilingViews.ParseDate(document.ValidFrom) ?? throw new InvalidOperationException("valid_from was validated"),
            FilingViews.ParseDate(document.ValidTo), bytes, Removed: false, DeliveredTo: destination, action.ToString(), reason, now,
            previous?.RowNo ?? 0);

        if (previous is null)
        {
            if (!await FilingStore.InsertAsync(conn, tx, row, ct))
                throw new RefusedException(FilingReasons.FilingExists,
                    $"Filing '{document.FilingId}' already exists at node {node.Province}: change it, or file under a new id.");
        }
        else await FilingStore.UpdateAsync(conn, tx, row, previous.Version, ct);

        var message = new FilingChanged
        {
            OwnerProvince = node.Province, Filing = document, Version = version, Action = (FilingAction)action,
            ChangedOn = FilingViews.Iso(clock.Today), Reason = reason ?? "",
        };
        await SendAsync(conn, tx, destination, message, personKey, ct);
        if (previous?.DeliveredTo is { Length: > 0 } left && left != destination)
        {
            var removal = message.Clone();
            removal.Removed = true;
            await SendAsync(conn, tx, left, removal, personKey, ct);
        }

        await RecordChangeLog.AppendAsync(conn, tx, RecordKinds.Filing, node.Province, document.FilingId, personKey, version,
            RecordChangeLog.Upsert, bytes, now, ct);
        return FilingViews.View(row, node.Province);
    }

    private Task<bool> SendAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string receiver, FilingChanged message, string personKey, CancellationToken ct) =>
        Outbound.EnqueueAsync(conn, tx,
            envelopes.Create(receiver, CorrelationId(node.Province, message.Filing.FilingId), Step(message.Version, receiver), message),
            personKey, ct);
}
