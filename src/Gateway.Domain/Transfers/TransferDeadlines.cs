using Gateway.Domain.Calendar;
using Gateway.Domain.Rules;
using Gateway.Domain.Values;

namespace Gateway.Domain.Transfers;

/// <summary>
/// Computes a transfer's deadlines. Each step follows the rule of the province whose agency performs it:
/// destination for the contact letter, completion and the overall limit; origin for the information table and balance.
/// </summary>
/// <remarks>
/// A step counts from the actual date of the event before it when known, otherwise from that event's own deadline
/// (marked projected), so the whole chain can be shown from day one. The balance counts from the information table's
/// deadline. Messages travel between nodes within the day, so a date seen on one side stands in for the other.
/// </remarks>
public static class TransferDeadlines
{
    public static TransferSchedule Compute(ProvinceCode origin, ProvinceCode destination, RegimeBook regimes,
        WorkingDayCalendar calendar, TransferDates dates)
    {
        var steps = new List<StepDeadline>();

        StepDeadline? Add(TransferStep step, DateOnly? start, bool projected, DateOnly? doneOn)
        {
            if (start is not { } from) return null;
            var province = step.PerformedBy() == TransferSide.Origin ? origin : destination;
            var regime = regimes.For(province);
            var limit = regime.LimitFor(step);
            var deadline = new StepDeadline(step, province, regime.Id, limit, from, projected,
                calendar.AddWorkingDays(from, limit), doneOn);
            steps.Add(deadline);
            return deadline;
        }

        var letter = Add(TransferStep.ContactLetter, dates.AcceptedOn, false, dates.LetterSentOn ?? dates.LetterReceivedOn);

        var letterArrived = dates.LetterReceivedOn ?? dates.LetterSentOn;
        var tableDone = dates.InfoTableSentOn ?? dates.InfoTableReceivedOn;
        var table = Add(TransferStep.InfoTable, letterArrived ?? letter?.Due.Date, letterArrived is null, tableDone);

        // The balance travels with the table; its limit runs on from the table's deadline (Inner Mongolia: 5 + 5).
        var balance = Add(TransferStep.Balance, table?.Due.Date, table?.IsProjected ?? false, tableDone);

        var tableArrived = dates.InfoTableReceivedOn ?? dates.InfoTableSentOn;
        Add(TransferStep.Completion, tableArrived ?? balance?.Due.Date, tableArrived is null, dates.CompletedOn);

        Add(TransferStep.Overall, dates.AcceptedOn, false, dates.CompletedOn);

        return new TransferSchedule(steps, IsClosed: dates.ClosedOn is not null && dates.CompletedOn is null);
    }
}
