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
