using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Domain.Enrolment;
using Gateway.Domain.Transfers;
using Gateway.Domain.Values;
using Gateway.Node.Application;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Npgsql;

using TransferRole = Gateway.Domain.Transfers.TransferRole;

namespace Gateway.Node.Transfers.Inbound;

/// <summary>
/// Destination: the information table and the balance arrived. The destination decides benefit continuity (seed 002)
/// now, records it on its copy and hands it to its province system with the credit item. A table whose amount differs
/// from the amount sent is never credited: the transfer is held for operators.
/// </summary>
public sealed class InformationTableHandler(TransferSteps steps, IOptions<NodeOptions> options) : InboundHandler<InformationTableSent>
{
    protected override async Task HandleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Envelope envelope, InformationTableSent m, CancellationToken ct)
    {
        if (m.Table is null) throw new PoisonMessageException("The information table envelope carries no table.");
        if (m.Table.AmountFen is < 0 or > Money.MaxFen || m.TransferredAmountFen is < 0 or > Money.MaxFen)
            throw new PoisonMessageException("The information table's amounts are out of range.");
        var (record, transfer) = await steps.LoadForInboundAsync(conn, tx, m.TransferId, envelope, TransferRole.Destination, ct);
        var today = steps.BusinessDay(transfer);
        TransferSteps.ApplyInbound(envelope, () => transfer.SendInfoTable(new Money(m.Table.AmountFen), new Money(m.TransferredAmountFen), today));
        record.InfoTable = m.Table.ToByteArray();
        if (m.Table.AmountFen != m.TransferredAmountFen)
        {
            await steps.HoldAsync(conn, tx, record, transfer, HoldCodes.AmountMismatch,
                $"table shows {new Money(m.Table.AmountFen)}, transferred {new Money(m.TransferredAmountFen)}", today, ct);
            return;
        }
        var letter = ContactLetterSent.Parser.ParseFrom(record.Letter);
        var continuity = Continuity(m.Table, letter, transfer.AcceptedOn ?? today, options.Value.WaitingPeriodMonths);
        record.Continuity = continuity?.ToByteArray();
        await steps.SaveAsync(conn, tx, record, transfer, ct);
        await steps.AddWorkItemAsync(conn, tx, record, WorkItemKind.CreditBalance, Steps.Credit, (item, _) =>
        {
            item.AmountFen = m.TransferredAmountFen;
            item.Continuity = continuity;
        }, ct);
    }

    /// <summary>Seed 002 notes 6–7 from the table's periods: the gap since the last paid month, the 2-year rule on a switch.</summary>
    private static Continuity? Continuity(InformationTable table, ContactLetterSent letter, DateOnly acceptedOn, int waitingPeriodMonths)
    {
        var periods = table.Rows
            .Select(r => (Ok: YearMonth.TryParse(r.From, out var f, out _) & YearMonth.TryParse(r.To, out var t, out _), From: f, To: t, r.Insutype))
            .Where(p => p.Ok && p.To >= p.From)
            .ToList();
        if (periods.Count == 0) return null;
        var last = periods.MaxBy(p => p.To);
        var destinationType = letter.Application?.Insutype ?? letter.Letter?.Insutype ?? Contracts.Transfer.V1.InsuranceType.Unspecified;
        var input = new ContinuityInput(
            LastPaidMonth: last.To,
            NewStartMonth: YearMonth.FromDate(acceptedOn),
            SwitchesInsuranceType: destinationType != Contracts.Transfer.V1.InsuranceType.Unspecified && last.Insutype != destinationType,
            ContinuousEnrolmentMonths: BenefitContinuity.ContinuousMonths(periods.Select(p => (p.From, p.To))),
            RegionWaitingPeriodMonths: Math.Clamp(waitingPeriodMonths, 0, BenefitContinuity.MaxWaitingPeriodMonths));
        var decision = BenefitContinuity.Decide(input);
        return new Continuity
        {
            Outcome = (Contracts.Transfer.V1.ContinuityOutcome)(int)decision.Outcome,
            GapMonths = decision.GapMonths,
            BackPaymentAllowed = decision.BackPaymentAllowed,
            BackPaymentFrom = decision.BackPaymentFrom?.ToString() ?? "",
            BackPaymentTo = decision.BackPaymentTo?.ToString() ?? "",
            WaitingPeriodMonths = decision.WaitingPeriodMonths,
            BenefitsFrom = decision.BenefitsFrom.ToString(),
            SwitchesInsuranceType = input.SwitchesInsuranceType,
            ContinuousEnrolmentMonths = input.ContinuousEnrolmentMonths,
            LastPaidMonth = input.LastPaidMonth.ToString(),
            NewStartMonth = input.NewStartMonth.ToString(),
            Reason = decision.Reason,
        };
    }
}
