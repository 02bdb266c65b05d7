using Gateway.Contracts.Sync.V1;

namespace Gateway.Node.Sync;

/// <summary>Kinds of synced records in the change log (record_changes.kind), and the payload each logs.</summary>
public static class RecordKinds
{
    public const string Filing = "filing";
    public const string Enrolment = "enrolment";

    /// <summary>Full protobuf name of the payload a kind logs; a kind not listed here streams its bytes untyped.</summary>
    public static string PayloadType(string kind) => kind switch
    {
        Filing => Contracts.Sync.V1.Filing.Descriptor.FullName,
        Enrolment => Contracts.Sync.V1.EnrolmentRecord.Descriptor.FullName,
        _ => "",
    };
}

/// <summary>
/// Broadcast to every open WatchRecords stream: a transaction that appended to the change log has committed (or is
/// about to). Streams also poll, so a notification raised before its commit only delays a change, never loses it.
/// </summary>
public sealed class RecordChangeSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Notify() => Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Take this before reading the log, await it after: no notification slips between.</summary>
    public Task Next => Volatile.Read(ref _next).Task;
}
