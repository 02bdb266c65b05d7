using System.Text.Json;
using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Ops.V1;
using Gateway.Node.Application;
using Gateway.Node.Exchange;
using Gateway.Node.Infrastructure;
using Gateway.Storage;
using Google.Protobuf;
using Npgsql;

namespace Gateway.Node.Ops;

/// <summary>
/// Re-applies one dead-lettered inbound envelope through <see cref="InboundApply"/>, the inbox's own path (dedupe,
/// dispatcher, receipt), under a savepoint: still refused, the envelope's effect is undone and the outcome recorded.
/// </summary>
public sealed class DeadLetterReapplier(InboundApply apply, EnvelopeFactory envelopes, NodeIdentity node, BusinessClock clock)
{
    public const string Applied = "APPLIED";
    public const string AlreadyApplied = "ALREADY_APPLIED";
    public const string StillRefused = "STILL_REFUSED";

    /// <summary>Null when the state refuses a re-apply (never re-run, unreadable), with the refusal's code and text.</summary>
    public static (string Code, string Message)? Refusal(DeadLetterRow row, string self, out Envelope? envelope)
    {
        envelope = null;
        if (row.NeverRerun) return (OpsReasons.NeverRerun, "This dead letter is marked never to be re-run.");
        if (row.Payload is not { Length: > 0 and <= InboxProcessor.MaxRecordBytes } payload)
            return (OpsReasons.Unreadable, "The dead letter holds no envelope that could be applied.");
        try { envelope = Envelope.Parser.ParseFrom(payload); }
        catch (InvalidProtocolBufferException) { return (OpsReasons.Unreadable, "The dead letter's record is not an envelope."); }
        if (EnvelopeRules.Problem(envelope, self) is { } problem) return (OpsReasons.Unreadable, problem);
        return null;
    }

    public async Task<ActionResult> ReapplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, DeadLetterRow row, Envelope envelope,
        string @operator, string reason, string action, CancellationToken ct)
    {
        var now = clock.UtcNow;
        string result, detail;
        await tx.SaveAsync("reapply", ct);
        try
        {
            // Freshness is judged at its first arrival: an old dead letter re-applied today is not stale for that.
            var outcome = await apply.ApplyAsync(conn, tx, envelope, null, row.FirstSeenAt, ct);
            await tx.ReleaseAsync("reapply", ct);
            result = outcome == InboundOutcome.Duplicate ? AlreadyApplied : Applied;
            detail = outcome == InboundOutcome.Duplicate ? "The envelope had already taken effect; nothing was applied again." : "Applied.";
            // A duplicate is acknowledged again too: the sender may still be waiting for the receipt.
            if (outcome != InboundOutcome.Receipt)
                await Outbound.EnqueueAsync(conn, tx, envelopes.CreateReceipt(envelope.SenderProvince, new Receipt { MessageIds = { envelope.MessageId } }), ct);
        }
        catch (Exception ex) when (ex is PoisonMessageException or EnvelopeTooLargeException || ex is PostgresException pg && pg.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            await tx.RollbackAsync("reapply", ct);
            result = StillRefused;
            detail = WireText.Clean(ex is PostgresException ? $"refused by PostgreSQL: {ex.Message}" : ex.Message, 1_000);
        }
        await OpsQueries.CountRerunAsync(conn, tx, row.Id, result == StillRefused ? detail : null, now, ct);
        var id = row.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var auditId = await OpsQueries.AuditAsync(conn, tx, @operator, action, id, reason, result, NullIfEmpty(envelope.CorrelationId),
            JsonSerializer.Serialize(new { dead_letter_id = row.Id, message_id = envelope.MessageId, message_type = envelope.MessageType, detail }), now, ct);
        return new ActionResult { Result = result, Detail = detail, AuditId = auditId };
    }

    public string Self => node.Province;

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}
