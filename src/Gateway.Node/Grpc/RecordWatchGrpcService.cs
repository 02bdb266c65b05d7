using Gateway.Contracts.Sync.V1;
using Gateway.Node.Infrastructure;
using Gateway.Node.Sync;
using Gateway.Storage;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Gateway.Node.Grpc;

/// <summary>
/// Streams the change log from a cursor: pages of at most <see cref="PageSize"/> in seq order (seq order is commit order,
/// see <see cref="RecordChangeLog"/>), then waits for the next commit. The stream holds no connection while it waits.
/// </summary>
public sealed class RecordWatchGrpcService(
    NodeDatabase db,
    RecordChangeSignal recordChanges,
    WorkItemSignal inboxCommits,
    StreamShutdown shutdown,
    ILogger<RecordWatchGrpcService> logger) : RecordWatchService.RecordWatchServiceBase
{
    public const int PageSize = 200;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    public override async Task WatchRecords(WatchRecordsRequest request, IServerStreamWriter<RecordChangeEvent> responseStream, ServerCallContext context)
    {
        RequestValidation.ValidateWatch(request);
        using var call = shutdown.Link(context);
        var ct = call.Token;
        var kinds = request.Kinds.Count == 0 ? null : request.Kinds.ToHashSet(StringComparer.Ordinal);
        var onlyKind = kinds?.Count == 1 ? kinds.First() : null;
        var cursor = request.Cursor;
        logger.LogInformation("Record watcher connected from seq {Cursor}", cursor);
        try
        {
            // Headers now, so the client knows it is watching even before the first change exists.
            await context.WriteResponseHeadersAsync([]);
            while (!ct.IsCancellationRequested)
            {
                // Taken before reading, so no commit slips between. The inbox notifies its after-commit signal for every
                // batch it applied; the filing calls notify this one after they commit.
                var wake = Task.WhenAny(recordChanges.Next, inboxCommits.Next);
                var page = await db.WithConnectionAsync((conn, token) => RecordChangeLog.ReadAfterAsync(conn, cursor, PageSize, onlyKind, token), ct);
                foreach (var change in page)
                {
                    cursor = change.Seq;
                    if (kinds is null || kinds.Contains(change.Kind)) await responseStream.WriteAsync(ToEvent(change), ct);
                }
                if (page.Count == PageSize) continue; // more are there already
                try { await wake.WaitAsync(PollInterval, ct); }
                catch (TimeoutException) { }
            }
        }
        // Cancelled mid-read or mid-write, whatever the exception says (a write on an ending call is not an OCE).
        catch (Exception ex) when (ex is not RpcException && ct.IsCancellationRequested)
        {
            logger.LogDebug(ex, "Record watch ended with its call or the node's stop");
        }
        logger.LogInformation("Record watcher left at seq {Cursor}", cursor);
        shutdown.ThrowIfStopping(context);
    }

    private static RecordChangeEvent ToEvent(RecordChange c)
    {
        var e = new RecordChangeEvent
        {
            Seq = c.Seq, Kind = c.Kind, OwnerProvince = c.OwnerProvince, RecordId = c.RecordId, Version = c.Version, Change = c.Change,
            AppliedAt = Timestamp.FromDateTimeOffset(c.AppliedAt),
        };
        if (c.Payload is { } payload)
        {
            e.Payload = ByteString.CopyFrom(payload);
            e.PayloadType = RecordKinds.PayloadType(c.Kind);
            if (c.Kind == RecordKinds.Filing) e.Filing = Filing.Parser.ParseFrom(payload);
            else if (c.Kind == RecordKinds.Enrolment) e.Enrolment = EnrolmentRecord.Parser.ParseFrom(payload);
        }
        return e;
    }
}
