using Gateway.Contracts.Exchange.V1;
using Gateway.Node.Application;
using Gateway.Node.Exchange;
using Gateway.Node.Infrastructure;
using Gateway.Node.Transfers.Inbound;
using Gateway.Storage;
using Npgsql;

namespace Gateway.Node.Sync.Backfill;

/// <summary>
/// Owner: answers a page request with the current version of the records that concern the requester. Any province of
/// the exchange may ask; it only ever gets records addressed to itself, which it would have received live anyway.
/// </summary>
public sealed class BackfillRequestedHandler(IEnumerable<IBackfillSource> sources, EnvelopeFactory envelopes, ExchangeMembers members, NodeIdentity node)
    : InboundHandler<BackfillRequested>
{
    private readonly Dictionary<string, IBackfillSource> _sources = sources.ToDictionary(s => s.Kind, StringComparer.Ordinal);

    protected override async Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, BackfillRequested request,
        CancellationToken ct)
    {
        if (!members.Contains(envelope.SenderProvince))
            throw new UntrustedEnvelopeException("NOT_IN_EXCHANGE", $"Province {envelope.SenderProvince} is not a member of this exchange.");
        if (request.RunId != envelope.CorrelationId || !request.RunId.StartsWith(envelope.SenderProvince + "B", StringComparison.Ordinal))
            throw new PoisonMessageException("A backfill request's run id must be the envelope's correlation id and name its sender.");
        if (!WireText.IsIdentifier(request.Kind) || request.Kind.Length > 32)
            throw new PoisonMessageException("A backfill request's kind is missing or too long.");
        if (request.AfterCursor.Length > BackfillLimits.MaxCursorLength)
            throw new PoisonMessageException($"A backfill cursor has at most {BackfillLimits.MaxCursorLength} characters.");
        if (request.MaxRecords is < 0 or > BackfillLimits.MaxRecordsPerPage)
            throw new PoisonMessageException($"A backfill page has 1..{BackfillLimits.MaxRecordsPerPage} records.");
        var slices = request.Slices == 0 ? 1 : request.Slices;
        if (slices is not (1 or 2 or 4 or 8 or 16) || request.Slice < 0 || request.Slice >= slices)
            throw new PoisonMessageException("A backfill request names a slice outside 0..slices-1, or slices other than 1, 2, 4, 8, 16.");
        if (BackfillCursor.Parse(request.AfterCursor) is not { } after)
            throw new PoisonMessageException("A backfill request's cursor is not one this owner wrote.");

        var page = new BackfillPage { RunId = request.RunId, Kind = request.Kind, AfterCursor = request.AfterCursor, Slice = request.Slice };
        if (_sources.TryGetValue(request.Kind, out var source))
        {
            var max = request.MaxRecords == 0 ? BackfillLimits.DefaultRecordsPerPage : request.MaxRecords;
            var read = await source.ReadPageAsync(conn, tx, envelope.SenderProvince, PersonKeyRange.Slice(request.Slice, slices), after, max,
                BackfillLimits.MaxPageBytes, ct);
            page.Records.AddRange(read.Records);
            page.NextCursor = read.NextCursor;
            page.Last = read.Last;
        }
        else
        {
            page.KindUnknown = true;
            page.Last = true;
        }
        await Outbound.EnqueueAsync(conn, tx, envelopes.Create(envelope.SenderProvince, request.RunId,
            $"backfill-page:{node.Province}:{request.Kind}:{request.Slice}:{BackfillStarter.CursorStep(request.AfterCursor)}", page, envelope.MessageId),
            BackfillStarter.SliceKey(request.RunId, request.Slice), ct);
    }
}
