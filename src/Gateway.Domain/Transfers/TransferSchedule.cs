using Gateway.Domain.Calendar;
using Gateway.Domain.Rules;

namespace Gateway.Domain.Transfers;

/// <summary>Every deadline of one transfer that can be computed from the dates known so far.</summary>
public sealed record TransferSchedule(IReadOnlyList<StepDeadline> Steps, bool IsClosed)
{
    public StepDeadline? For(TransferStep step) => Steps.FirstOrDefault(s => s.Step == step);

    /// <summary>
    /// Open deadlines past due on <paramref name="asOf"/>. The overall limit is listed on its own, so a transfer
    /// whose overall cap falls before its completion step is overdue from the earlier date. A closed transfer has none.
    /// </summary>
    public IReadOnlyList<StepDeadline> Overdue(DateOnly asOf) =>
        IsClosed ? [] : Steps.Where(s => s.IsOverdueOn(asOf)).ToList();

    /// <summary>Same as <see cref="Overdue(DateOnly)"/> for an instant, taken as a Beijing date.</summary>
    public IReadOnlyList<StepDeadline> Overdue(DateTimeOffset at) => Overdue(ChinaTime.DateOf(at));

    /// <summary>The day the transfer must be completed by: the earlier of the completion step and the overall limit.</summary>
    public DateOnly? CompleteBy =>
        new[] { For(TransferStep.Completion), For(TransferStep.Overall) }
            .Where(s => s is not null).Select(s => (DateOnly?)s!.Due.Date).Min();

    /// <summary>True when the overall limit falls before the completion step's deadline (both are shown).</summary>
    public bool OverallBeforeCompletionStep =>
        For(TransferStep.Overall) is { } o && For(TransferStep.Completion) is { } c && o.Due.Date < c.Due.Date;
}
