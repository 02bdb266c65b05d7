using Gateway.Node.Application;
using Gateway.Node.Infrastructure;
using Gateway.Storage;

namespace Gateway.Node.Ops;

/// <summary>
/// A refused operator action rolls back, so its audit entry is written on its own afterwards: the trail shows every
/// action an operator tried, with REFUSED and the reason code, or NOT_FOUND. Bad input (INVALID_ARGUMENT) is not an
/// action and is not written.
/// </summary>
public sealed class RefusedActionAudit(NodeDatabase db, BusinessClock clock, ILogger<RefusedActionAudit> logger)
{
    public static string? Outcome(Exception ex) => ex switch
    {
        RefusedException r => "REFUSED " + r.Reason,
        NotFoundException => "NOT_FOUND",
        _ => null,
    };

    public async Task RecordAsync(string @operator, string action, string? subject, string reason, string outcome, string message, CancellationToken ct)
    {
        try
        {
            await db.InTransactionAsync((conn, tx, token) => OpsQueries.AuditAsync(conn, tx, @operator, action, Bounded(subject), reason, outcome,
                // A refused action on a transfer belongs to that transfer's story.
                action.StartsWith("transfer.", StringComparison.Ordinal) ? Bounded(subject) : null,
                System.Text.Json.JsonSerializer.Serialize(new { refused = Bounded(message) }), clock.UtcNow, token), ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The caller still gets the refusal; only the trail entry is missing, and the log says so.
            logger.LogWarning(ex, "Could not write the audit entry of a refused {Action}", action);
        }
    }

    private static string? Bounded(string? text) => text is null ? null : Transfers.TransferSteps.Bounded(text, 500);
}
