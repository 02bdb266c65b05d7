namespace Gateway.Domain.Enrolment;

/// <summary>
/// Enrolment status of a record (正常 / 中止 / 终止参保). Values match the gRPC enum; only Active = 1 is known to agree with the
/// national psn_insu_stas code ("1" 正常参保).
/// </summary>
public enum EnrolmentStatus
{
    /// <summary>正常参保: contributing normally.</summary>
    Active = 1,

    /// <summary>中止参保 (暂停): e.g. transferred out, pending the destination (seed 003 第十一条, 第二十二条).</summary>
    Suspended = 2,

    /// <summary>终止参保: e.g. death, settling abroad, or a duplicate ended.</summary>
    Terminated = 3,
}
