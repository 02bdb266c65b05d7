using System.Diagnostics;
using Gateway.Harness;
using Gateway.ProvinceSimulator;

namespace Gateway.Benchmarks;

/// <summary>One transfer the burst asks for: a person of the origin moves to the destination.</summary>
public sealed record TransferOrder(string Origin, string Destination, SyntheticPerson Person);

/// <summary>How one order's start went: its transfer id (or the error), when its start began and how long it took.</summary>
public sealed record StartedTransfer(TransferOrder Order, string? TransferId, DateTimeOffset At, double StartMs, string? Error);

/// <summary>
/// How the burst starts its transfers (certificate at the origin, application at the destination). The burst
/// times from each order's <see cref="StartedTransfer.At"/> to both sides ended, whatever the starter does, so a
/// starter that uses batch calls plugs in here and is measured the same way.
/// </summary>
public interface ITransferStarter
{
    /// <summary>Shown in the report beside the burst figures.</summary>
    string Name { get; }

    /// <summary>Starts every order at once; never throws for one order's failure (it is reported on that order).</summary>
    Task<IReadOnlyList<StartedTransfer>> StartAsync(IReadOnlyList<TransferOrder> orders, DateOnly today, CancellationToken ct);
}

/// <summary>Every order on its own: IssueCertificate at the origin, then SubmitApplication at the destination, all concurrently.</summary>
public sealed class UnaryTransferStarter(TransferDriver driver) : ITransferStarter
{
    public string Name => "concurrent unary IssueCertificate + SubmitApplication";

    public async Task<IReadOnlyList<StartedTransfer>> StartAsync(IReadOnlyList<TransferOrder> orders, DateOnly today, CancellationToken ct) =>
        await Task.WhenAll(orders.Select(o => Task.Run(async () =>
        {
            var at = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            try
            {
                var certificate = await driver.IssueCertificateAsync(o.Origin, o.Person, today, ct);
                var accepted = await driver.SubmitAsync(o.Destination, certificate, today, ct);
                return new StartedTransfer(o, accepted.TransferId, at, clock.Elapsed.TotalMilliseconds, null);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                return new StartedTransfer(o, null, at, clock.Elapsed.TotalMilliseconds, $"{ex.GetType().Name}: {ex.Message}");
            }
        }, ct)));
}

/// <summary>
/// The post-holiday peak path: orders grouped by origin and destination, certificates issued through
/// <c>IssueCertificates</c> and applications submitted through <c>SubmitApplications</c>, up to
/// <see cref="EntriesPerCall"/> entries per call, all groups at once.
/// </summary>
public sealed class BatchTransferStarter(TransferDriver driver) : ITransferStarter
{
    /// <summary>Entries per batch call (the API allows up to 100).</summary>
    public const int EntriesPerCall = 50;

    public string Name => $"batch IssueCertificates + SubmitApplications, {EntriesPerCall} entries per call";

    public async Task<IReadOnlyList<StartedTransfer>> StartAsync(IReadOnlyList<TransferOrder> orders, DateOnly today, CancellationToken ct)
    {
        var chunks = orders.GroupBy(o => (o.Origin, o.Destination)).SelectMany(g => g.Chunk(EntriesPerCall)).ToList();
        var started = await Task.WhenAll(chunks.Select(chunk => Task.Run(() => StartChunkAsync(chunk, today, ct), ct)));
        return started.SelectMany(s => s).ToList();
    }

    private async Task<IReadOnlyList<StartedTransfer>> StartChunkAsync(TransferOrder[] chunk, DateOnly today, CancellationToken ct)
    {
        var at = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var (origin, destination) = (chunk[0].Origin, chunk[0].Destination);
        try
        {
            var issued = await driver.IssueManyAsync(origin, chunk.Select(o => o.Person), today, ct);
            var results = new StartedTransfer?[chunk.Length];
            var submitted = new List<int>();
            var applications = new List<Gateway.Contracts.Transfer.V1.SubmitApplicationRequest>();
            for (var i = 0; i < chunk.Length; i++)
            {
                var r = issued.Results[i];
                if (r.Certificate is null)
                    results[i] = new StartedTransfer(chunk[i], null, at, clock.Elapsed.TotalMilliseconds, $"IssueCertificates: {r.Error?.Message}");
                else
                {
                    submitted.Add(i);
                    applications.Add(driver.BuildApplication(destination, r.Certificate, today));
                }
            }
            var accepted = await driver.SubmitManyAsync(destination, applications, ct: ct);
            for (var j = 0; j < submitted.Count; j++)
            {
                var r = accepted.Results[j];
                var i = submitted[j];
                results[i] = new StartedTransfer(chunk[i], r.Transfer?.TransferId, at, clock.Elapsed.TotalMilliseconds,
                    r.Transfer is null ? $"SubmitApplications: {r.Error?.Message}" : null);
            }
            return results.Select(r => r!).ToList();
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            return chunk.Select(o => new StartedTransfer(o, null, at, clock.Elapsed.TotalMilliseconds, $"{ex.GetType().Name}: {ex.Message}")).ToList();
        }
    }
}
