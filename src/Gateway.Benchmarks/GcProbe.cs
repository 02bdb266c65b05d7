using System.Diagnostics.Tracing;
using System.Runtime;

namespace Gateway.Benchmarks;

/// <summary>GC activity while a phase ran, from the runtime's own events (EventPipe, in this process).</summary>
public sealed record GcActivity(
    IReadOnlyDictionary<string, int> CollectionsByGenerationAndReason,
    IReadOnlyDictionary<string, long> AllocatedByKind,
    IReadOnlyList<(string Kind, string Type, long Bytes)> TopLargeTypes);

/// <summary>
/// Listens to Microsoft-Windows-DotNETRuntime's GC keyword at verbose level: GCStart (generation and reason) and
/// GCAllocationTick (about one per 100 KB allocated, with the type and whether it went to the small, large or pinned
/// object heap). The ticks are samples, so the byte figures are estimates of where allocation went.
/// </summary>
public sealed class GcActivityListener : EventListener, IAsyncDisposable
{
    private const string Runtime = "Microsoft-Windows-DotNETRuntime";
    private const int GcStart = 1, AllocationTick = 10;
    private static readonly string[] Kinds = ["small object heap", "large object heap", "pinned object heap"];
    private static readonly Dictionary<uint, string> Reasons = new()
    {
        [0] = "small allocation", [1] = "induced", [2] = "low memory", [3] = "empty", [4] = "large allocation",
        [5] = "out of space (SOH)", [6] = "out of space (LOH)", [7] = "induced, not forced", [8] = "stress",
        [9] = "low memory (induced)", [10] = "induced compacting", [11] = "low memory (host)", [12] = "PM full GC", [13] = "low memory (host, blocking)",
    };
    private readonly Dictionary<string, int> _collections = new();
    private readonly Dictionary<string, long> _byKind = new();
    private readonly Dictionary<(string, string), long> _byType = new();
    private EventSource? _source;
    private volatile bool _stopped;

    private GcActivityListener() { }

    public static GcActivityListener Start() => new();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name != Runtime) return;
        _source = source;
        EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (_stopped || e.Payload is null || e.PayloadNames is null) return;
        object? Get(string name)
        {
            var i = e.PayloadNames.IndexOf(name);
            return i >= 0 ? e.Payload[i] : null;
        }
        lock (_collections)
        {
            if (e.EventId == GcStart)
            {
                var depth = Convert.ToUInt32(Get("Depth") ?? 0u);
                var reason = Convert.ToUInt32(Get("Reason") ?? 0u);
                var key = $"gen{depth} ({Reasons.GetValueOrDefault(reason, reason.ToString())})";
                _collections[key] = _collections.GetValueOrDefault(key) + 1;
            }
            else if (e.EventId == AllocationTick)
            {
                var kind = Convert.ToInt32(Get("AllocationKind") ?? 0);
                var amount = Convert.ToInt64(Get("AllocationAmount64") ?? Get("AllocationAmount") ?? 0L);
                var kindName = kind >= 0 && kind < Kinds.Length ? Kinds[kind] : kind.ToString();
                _byKind[kindName] = _byKind.GetValueOrDefault(kindName) + amount;
                var type = Get("TypeName") as string ?? "?";
                _byType[(kindName, type)] = _byType.GetValueOrDefault((kindName, type)) + amount;
            }
        }
    }

    public async Task<GcActivity> StopAsync()
    {
        await Task.Delay(TimeSpan.FromSeconds(1)); // events arrive through EventPipe a little later
        _stopped = true;
        if (_source is not null) DisableEvents(_source);
        lock (_collections)
            return new GcActivity(new Dictionary<string, int>(_collections), new Dictionary<string, long>(_byKind),
                _byType.Where(t => t.Key.Item1 != Kinds[0]).OrderByDescending(t => t.Value).Take(6).Select(t => (t.Key.Item1, t.Key.Item2, t.Value)).ToList());
    }

    public ValueTask DisposeAsync()
    {
        _stopped = true;
        Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The highest working set and GC-committed bytes seen while a phase ran (what a process monitor would have shown).</summary>
public sealed class MemoryPeakSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _workingSet, _committed, _gen0;

    private MemoryPeakSampler() => _loop = Task.Run(LoopAsync);

    public static MemoryPeakSampler Start() => new();

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            _workingSet = Math.Max(_workingSet, Environment.WorkingSet);
            _committed = Math.Max(_committed, GC.GetGCMemoryInfo().TotalCommittedBytes);
            // gen0's size when the last ephemeral GC began: how much the GC lets gen0 grow (its budget) on this machine.
            var ephemeral = GC.GetGCMemoryInfo(GCKind.Ephemeral).GenerationInfo;
            if (ephemeral.Length > 0) _gen0 = Math.Max(_gen0, ephemeral[0].SizeBeforeBytes);
            try { await Task.Delay(20, _stop.Token); }
            catch (OperationCanceledException) { return; }
        }
    }

    public async Task<(long WorkingSet, long Committed, long Gen0Before)> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        return (_workingSet, _committed, _gen0);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _stop.Dispose();
    }
}

/// <summary>The GC configuration this process runs with (runtimeconfig and DOTNET_ variables already applied).</summary>
public static class GcConfiguration
{
    public static string Describe()
    {
        var vars = GC.GetConfigurationVariables();
        string Var(string name) => vars.TryGetValue(name, out var v) ? v?.ToString() ?? "" : "-";
        var info = GC.GetGCMemoryInfo();
        // GetConfigurationVariables names vary (with or without a GC prefix, abbreviated): match by fragment.
        object? Find(string fragment) => vars.FirstOrDefault(kv => kv.Key.Contains(fragment, StringComparison.OrdinalIgnoreCase)).Value;
        var hardLimit = Convert.ToInt64(Find("HeapHardLimit") ?? 0L);
        var conserve = Find("Conserve")?.ToString() ?? "0";
        var gen0 = Find("gen0size");
        return $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC, {Var("HeapCount")} heap(s), concurrent {Var("ConcurrentGC")}, " +
            $"gen0 size {(gen0 is not null && Convert.ToDouble(gen0) > 0 ? Format.Bytes(Convert.ToDouble(gen0)) : "default")}, " +
            $"conserve memory {conserve}, hard limit {(hardLimit > 0 ? Format.Bytes(hardLimit) : "none")}, " +
            $"memory visible to the GC {Format.Bytes(info.TotalAvailableMemoryBytes)}";
    }
}
