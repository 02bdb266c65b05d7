using System.Diagnostics;
using System.Runtime;

namespace Gateway.Benchmarks;

/// <summary>
/// Memory of this process (which hosts the nodes, the broker and the simulators) at one moment, after a full
/// blocking compacting GC: the working set the OS sees, and how much of it the GC heap holds and has committed.
/// </summary>
public sealed record MemorySnapshot(string Label, long WorkingSetBytes, long PrivateBytes, long GcHeapBytes, long TotalAllocatedBytes,
    long GcCommittedBytes, long GcFragmentedBytes, long LohBytes, long PohBytes)
{
    public static MemorySnapshot Take(string label)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        using var process = Process.GetCurrentProcess();
        var generations = info.GenerationInfo;
        return new MemorySnapshot(label, process.WorkingSet64, process.PrivateMemorySize64, GC.GetTotalMemory(false), GC.GetTotalAllocatedBytes(true),
            info.TotalCommittedBytes, info.FragmentedBytes, generations.Length > 3 ? generations[3].SizeAfterBytes : 0,
            generations.Length > 4 ? generations[4].SizeAfterBytes : 0);
    }
}
