using Gateway.Harness;
using Gateway.Node;
using Gateway.Node.Infrastructure;
using Gateway.Node.Transfers;
using Gateway.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gateway.Benchmarks;

/// <summary>
/// The CPU part of GetTransfer alone: rebuilding the domain transfer from its row and mapping it to the API view
/// (deadlines from the calendar included), on one thread, with no I/O.
/// </summary>
public static class ViewBenchmark
{
    public static async Task<LoadResult> RunAsync(GatewayCluster cluster, string holder, IReadOnlyList<string> transferIds, BenchmarkSettings settings, CancellationToken ct)
    {
        var options = Options.Create(new NodeOptions { Province = holder });
        var views = new TransferViews(new ReferenceData(options, NullLogger<ReferenceData>.Instance), new BusinessClock(TimeProvider.System, options));
        var records = new List<TransferRecord>();
        await using (var db = BenchmarkConnections.Open(cluster[holder].ConnectionString))
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            foreach (var id in transferIds.Take(64))
                if (await TransferStore.FindAsync(conn, null, id, forUpdate: false, ct) is { } record) records.Add(record);
        }
        if (records.Count == 0) throw new InvalidOperationException("No transfer rows to map.");
        return await LoadRunner.RunAsync("GetTransfer's view mapping (CPU only, 1 thread)", 1, settings.FirstWarmup, settings.Duration,
            (_, n, _) =>
            {
                views.View(records[(int)(n % records.Count)]);
                return Task.CompletedTask;
            }, ct);
    }
}
