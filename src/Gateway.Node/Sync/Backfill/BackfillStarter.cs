using System.Security.Cryptography;
using System.Text;
using Gateway.Contracts.Exchange.V1;
using Gateway.Node.Exchange;
using Gateway.Node.Infrastructure;
using Gateway.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gateway.Node.Sync.Backfill;

/// <summary>Starts a backfill run: one progress row and one first page request per owner and kind, in one transaction.</summary>
public sealed class BackfillStarter(IEnumerable<IBackfillSink> sinks, ExchangeMembers members, EnvelopeFactory envelopes,
    NodeIdentity node, BusinessClock clock, IOptions<NodeOptions> options)
{
    private readonly int _pageRecords = Math.Clamp(options.Value.BackfillPageRecords, 1, BackfillLimits.MaxRecordsPerPage);
    private readonly int _slices = options.Value.BackfillSlices is 1 or 2 or 4 or 8 or 16 ? options.Value.BackfillSlices : BackfillLimits.DefaultSlices;

    public IReadOnlyList<string> Kinds { get; } = sinks.Select(s => s.Kind).Distinct().Order(StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> Owners => members.Others;

    public async Task<string> StartAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<string> owners, IReadOnlyList<string> kinds,
        string reason, CancellationToken ct)
    {
        var runId = $"{node.Province}B{Guid.CreateVersion7():N}";
        // Each owner and kind is paged in slices of person keys side by side: each slice has its own cursor and its own
        // partition (the envelopes are keyed by run and slice), so the owner reads and this node applies them in parallel.
        var parts = owners.SelectMany(o => kinds.SelectMany(k => Enumerable.Range(0, _slices).Select(s => (Owner: o, Kind: k, Slice: s)))).ToList();
        await BackfillStore.CreateRunAsync(conn, tx, runId, reason, parts, clock.UtcNow, ct);
        foreach (var (owner, kind, slice) in parts)
            await RequestPageAsync(conn, tx, runId, owner, kind, slice, _slices, "", ct);
        return runId;
    }

    /// <remarks>The message id names the owner too: one run asks every owner for the same kind from the same cursor.</remarks>
    public Task RequestPageAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string runId, string owner, string kind, int slice, int slices,
        string afterCursor, CancellationToken ct) =>
        Outbound.EnqueueAsync(conn, tx, envelopes.Create(owner, runId, $"backfill:{owner}:{kind}:{slice}:{CursorStep(afterCursor)}", new BackfillRequested
        {
            RunId = runId,
            Kind = kind,
            AfterCursor = afterCursor,
            MaxRecords = _pageRecords,
            Slice = slice,
            Slices = slices,
        }), SliceKey(runId, slice), ct);

    /// <summary>The Kafka key of a slice's requests and pages: one partition per slice, so slices apply side by side and each in order.</summary>
    public static string SliceKey(string runId, int slice) => $"{runId}/{slice}";

    /// <summary>A short, stable name for a cursor inside a message id: the same request always carries the same id.</summary>
    public static string CursorStep(string cursor) =>
        cursor.Length == 0 ? "start" : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cursor)))[..16];
}
