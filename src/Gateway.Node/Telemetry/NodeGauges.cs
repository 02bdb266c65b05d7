using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Gateway.Node.Telemetry;

/// <summary>
/// The last values each node's <see cref="TelemetrySampler"/> read, which the observable gauges report when a reader
/// collects. One entry per running node, so an in-process cluster reports each node under its province; a sampler
/// removes its entry when its node stops.
/// </summary>
public static class NodeGauges
{
    public sealed class Snapshot(string province)
    {
        public string Province { get; } = province;
        public IReadOnlyList<(string Status, long Count)> OutboxDepth { get; set; } = [];
        public IReadOnlyList<(string Kind, long Count, double OldestSeconds)> WorkItemsWaiting { get; set; } = [];
        public IReadOnlyList<(string Step, long Count)> OverdueTransfers { get; set; } = [];
        public long InboxLag { get; set; }
    }

    private static readonly ConcurrentDictionary<object, Snapshot> Nodes = new();

    public static Snapshot Register(object owner, string province) => Nodes.GetOrAdd(owner, _ => new Snapshot(province));

    public static void Remove(object owner) => Nodes.TryRemove(owner, out _);

    private static KeyValuePair<string, object?> Province(Snapshot s) => new(GatewayTelemetry.ProvinceTag, s.Province);

    internal static IEnumerable<Measurement<long>> OutboxDepth() =>
        Nodes.Values.SelectMany(s => s.OutboxDepth.Select(d => new Measurement<long>(d.Count, new("gateway.outbox_status", d.Status), Province(s))));

    internal static IEnumerable<Measurement<long>> WorkItemsWaiting() =>
        Nodes.Values.SelectMany(s => s.WorkItemsWaiting.Select(w => new Measurement<long>(w.Count, new("gateway.work_item_kind", w.Kind), Province(s))));

    internal static IEnumerable<Measurement<double>> OldestWorkItem() =>
        Nodes.Values.SelectMany(s => s.WorkItemsWaiting.Select(w => new Measurement<double>(w.OldestSeconds, new("gateway.work_item_kind", w.Kind), Province(s))));

    internal static IEnumerable<Measurement<long>> OverdueTransfers() =>
        Nodes.Values.SelectMany(s => s.OverdueTransfers.Select(o => new Measurement<long>(o.Count, new("gateway.step", o.Step), Province(s))));

    internal static IEnumerable<Measurement<long>> InboxLag() =>
        Nodes.Values.Select(s => new Measurement<long>(s.InboxLag, Province(s)));
}
