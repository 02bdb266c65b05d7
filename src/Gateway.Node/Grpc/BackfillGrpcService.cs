using Gateway.Contracts.Sync.V1;
using Gateway.Node.Application;
using Gateway.Node.Idempotency;
using Gateway.Node.Infrastructure;
using Gateway.Node.Sync.Backfill;
using Gateway.Storage;
using Grpc.Core;

namespace Gateway.Node.Grpc;

/// <summary>Backfill runs: start one, follow its progress per owner and kind.</summary>
public sealed class BackfillGrpcService(IdempotentCalls calls, StartBackfillHandler start, NodeDatabase db, OutboxSignal outboxSignal)
    : BackfillService.BackfillServiceBase
{
    private const int DefaultPageSize = 20;
    private const int MaxPageSize = 100;

    public override async Task<BackfillRun> StartBackfill(StartBackfillRequest request, ServerCallContext context)
    {
        var run = await calls.RunAsync(context, request, (conn, tx, ct) => start.HandleAsync(conn, tx, request, ct));
        outboxSignal.Notify();
        return run;
    }

    public override Task<BackfillRun> GetBackfill(GetBackfillRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.RunId)) throw InvalidRequestException.Single("run_id", "Name the run.");
        return db.WithConnectionAsync(async (conn, ct) =>
            BackfillViews.View(await BackfillStore.GetRunAsync(conn, request.RunId, ct) ?? throw new NotFoundException("No such backfill run at this node.")),
            context.CancellationToken);
    }

    public override Task<ListBackfillsResponse> ListBackfills(ListBackfillsRequest request, ServerCallContext context)
    {
        if (request.PageSize is < 0 or > MaxPageSize)
            throw InvalidRequestException.Single("page_size", $"Between 1 and {MaxPageSize} (0 means {DefaultPageSize}).");
        var before = ParseToken(request.PageToken);
        var size = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        return db.WithConnectionAsync(async (conn, ct) =>
        {
            var runs = await BackfillStore.ListRunsAsync(conn, before, size + 1, ct);
            var response = new ListBackfillsResponse();
            response.Runs.AddRange(runs.Take(size).Select(BackfillViews.View));
            if (runs.Count > size)
            {
                var last = runs[size - 1];
                response.NextPageToken = $"{last.StartedAt.ToUnixTimeMilliseconds() * 1000 + last.StartedAt.Ticks / 10 % 1000}|{last.RunId}";
            }
            return response;
        }, context.CancellationToken);
    }

    private static (DateTimeOffset, string)? ParseToken(string token)
    {
        if (string.IsNullOrEmpty(token)) return null;
        var bar = token.IndexOf('|');
        if (bar > 0 && long.TryParse(token[..bar], out var micros) && micros >= 0 && micros < 253_402_300_800_000_000L && token.Length - bar - 1 is > 0 and <= 64)
            return (DateTimeOffset.UnixEpoch.AddTicks(micros * 10), token[(bar + 1)..]);
        throw InvalidRequestException.Single("page_token", "Not a token this list returned.");
    }
}
