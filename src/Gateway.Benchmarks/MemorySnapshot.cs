using System.Diagnostics;

namespace Gateway.Benchmarks;

/// <summary>Memory of this process (which hosts the nodes, the broker and the simulators) at one moment.</summary>
public sealed record MemorySnapshot(string Label, long WorkingSetBytes, long PrivateBytes, long GcHeapBytes, long TotalAllocatedBytes)
{
    /// <summary>After a full blocking, compacting collection, so the heap figure is what is really retained.</summary>
    public static MemorySnapshot Take(string label)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        return new MemorySnapshot(label, process.WorkingSet64, process.PrivateMemorySize64, GC.GetTotalMemory(false), GC.GetTotalAllocatedBytes(true));
    }
}
