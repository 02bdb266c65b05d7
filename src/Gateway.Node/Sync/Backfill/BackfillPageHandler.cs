using Gateway.Contracts.Exchange.V1;
using Gateway.Node.Application;
using Gateway.Node.Exchange;
using Gateway.Node.Infrastructure;
using Gateway.Node.Transfers.Inbound;
using Gateway.Storage;
using Npgsql;

namespace Gateway.Node.Sync.Backfill;

/// <summary>
/// Requester: applies one owner's page version-guarded, records the progress and asks for the next page, all in the
/// inbox transaction. A page for a cursor already passed (a re-send, a duplicate answer) changes nothing.
/// </summary>
public sealed class BackfillPageHandler(IEnumerable<IBackfillSink> sinks, BackfillStarter starter, BusinessClock clock)
    : InboundHandler<BackfillPage>
{
    private readonly Dictionary<string, IBackfillSink> _sinks = sinks.ToDictionary(s => s.Kind, StringComparer.Ordinal);

    protected override async Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, BackfillPage page,
        CancellationToken ct)
    {
        if (page.RunId != envelope.CorrelationId)
            throw new PoisonMessageException("A backfill page's run id must be the envelope's correlation id.");
        var (progress, slices) = await BackfillStore.LockProgressAsync(conn, tx, page.RunId, envelope.SenderProvince, page.Kind, page.Slice, ct)
            ?? throw new UntrustedEnvelopeException("BACKFILL_NOT_ASKED",
                $"This node asked {envelope.SenderProvince} for no backfill of this kind in run {WireText.Clean(page.RunId, 80)}.");
        if (progress.Done || page.AfterCursor != progress.Cursor) return; // answered already: the run moved past this page

        if (page.KindUnknown)
        {
            await BackfillStore.RecordPageAsync(conn, tx, page.RunId, envelope.SenderProvince, page.Kind, page.Slice, progress.Cursor, 0, 0,
                done: true, kindUnknown: true, clock.UtcNow, ct);
            return;
        }
        if (page.Records.Count > BackfillLimits.MaxRecordsPerPage)
            throw new PoisonMessageException($"A backfill page carries at most {BackfillLimits.MaxRecordsPerPage} records.");
        if (page.NextCursor.Length > BackfillLimits.MaxCursorLength)
            throw new PoisonMessageException($"A backfill cursor has at most {BackfillLimits.MaxCursorLength} characters.");
        if (!page.Last && (page.NextCursor == page.AfterCursor || page.Records.Count == 0))
            throw new PoisonMessageException("A backfill page that is not the last must move the cursor and carry records.");
        if (!_sinks.TryGetValue(page.Kind, out var sink))
            throw new PoisonMessageException($"This node keeps no records of kind '{WireText.Clean(page.Kind, 32)}'.");

        var applied = await sink.ApplyPageAsync(conn, tx, envelope.SenderProvince, page.Records, ct);
        await BackfillStore.RecordPageAsync(conn, tx, page.RunId, envelope.SenderProvince, page.Kind, page.Slice, page.NextCursor, page.Records.Count,
            applied, done: page.Last, kindUnknown: false, clock.UtcNow, ct);
        if (!page.Last)
            await starter.RequestPageAsync(conn, tx, page.RunId, envelope.SenderProvince, page.Kind, page.Slice, slices, page.NextCursor, ct);
    }
}
