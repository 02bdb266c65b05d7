namespace Gateway.Domain.Documents;

/// <summary>State of a filing as the insured province keeps it.</summary>
public enum CareFilingStatus
{
    Active = 1,
    Suspended = 2,
    Terminated = 3,
}

/// <summary>What the insured province did to a filing: the form's 登记类别 (新增, 变更) and the 暂停, 恢复, 终止 of seed 004 item 19.</summary>
public enum CareFilingAction
{
    New = 1,
    Change = 2,
    Suspend = 3,
    Resume = 4,
    Terminate = 5,
}

/// <summary>Which actions are allowed from which status; a terminated filing is final.</summary>
public static class CareFilingLifecycle
{
    /// <param name="current">Null when no filing exists yet.</param>
    public static bool TryApply(CareFilingStatus? current, CareFilingAction action, out CareFilingStatus next, out string? error)
    {
        (CareFilingStatus? result, error) = (current, action) switch
        {
            (null, CareFilingAction.New) => (CareFilingStatus.Active, null),
            (null, _) => ((CareFilingStatus?)null, "no such filing"),
            (_, CareFilingAction.New) => (null, "the filing already exists"),
            (CareFilingStatus.Terminated, _) => (null, "the filing is terminated"),
            (var s, CareFilingAction.Change) => (s, null),
            (CareFilingStatus.Active, CareFilingAction.Suspend) => (CareFilingStatus.Suspended, null),
            (CareFilingStatus.Suspended, CareFilingAction.Resume) => (CareFilingStatus.Active, null),
            (_, CareFilingAction.Terminate) => (CareFilingStatus.Terminated, null),
            (var s, var a) => (null, $"cannot {a.ToString().ToLowerInvariant()} a filing that is {s.ToString()!.ToLowerInvariant()}"),
        };
        next = result ?? default;
        return error is null;
    }
}
