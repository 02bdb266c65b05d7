using Gateway.Domain.Rules;
using Gateway.Domain.Seeds;
using Gateway.Domain.Transfers;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Transfers;

public class TransferTests
{
    private static readonly ProvinceCode InnerMongolia = new("15"), Sichuan = new("51");
    private static DateOnly D(string s) => DateOnly.Parse(s);
    private static Money Fen(long fen) => new(fen);

    private static Transfer DestinationWithTable(long table, long transferred)
    {
        var t = Transfer.Accept("T-9", InnerMongolia, Sichuan, D("2026-03-02"));
        t.SendLetter(D("2026-03-03"));
        t.SendInfoTable(Fen(table), Fen(transferred), D("2026-03-10"));
        return t;
    }

    [Fact]
    public void Destination_and_origin_copies_run_a_transfer_to_completion_and_acknowledgement()
    {
        var dest = Transfer.Accept("T-1", InnerMongolia, Sichuan, D("2026-03-02"));
        dest.SendLetter(D("2026-03-03"));
        var origin = Transfer.ReceiveLetter("T-1", InnerMongolia, Sichuan, D("2026-03-03"), dest.AcceptedOn, dest.LetterSentOn);

        origin.SendInfoTable(Fen(88_800), Fen(88_800), D("2026-03-09"));
        dest.SendInfoTable(origin.TableAmount!.Value, origin.TransferredAmount!.Value, D("2026-03-09"));
        dest.Complete(Fen(88_800), D("2026-03-11"));
        origin.Complete(dest.CreditedAmount!.Value, D("2026-03-11"));
        origin.Acknowledge(D("2026-03-11"));

        Assert.Equal(TransferState.Completed, dest.State);
        Assert.True(dest.IsTerminal);
        Assert.Equal(TransferState.Acknowledged, origin.State);
        Assert.True(origin.IsTerminal);
        Assert.Equal(["Accepted", "LetterSent", "InfoTableReceived", "Completed"], dest.Timeline.Select(e => e.Event));
        Assert.Equal(["Accepted", "LetterSent", "LetterReceived", "InfoTableSent", "Completed", "Acknowledged"], origin.Timeline.Select(e => e.Event));
        Assert.Equal(D("2026-03-09"), origin.Timeline.Single(e => e.Event == "InfoTableSent").On);
        Assert.Contains("888.00", dest.Timeline.Single(e => e.Event == "Completed").Detail);
    }

    [Fact]
    public void Completed_copy_stays_Completed_on_the_destination_where_Acknowledge_is_the_wrong_role()
    {
        var t = DestinationWithTable(100, 100);
        t.Complete(Fen(100), D("2026-03-11"));
        var ex = Assert.Throws<DomainRuleException>(() => t.Acknowledge(D("2026-03-12")));
        Assert.Equal(ReasonCodes.WrongRole, ex.Reason);
    }

    [Theory]
    [InlineData(100, 100, 99)]   // credited less
    [InlineData(100, 100, 101)]  // credited more
    [InlineData(100, 90, 90)]    // transferred differs from the table
    [InlineData(100, 90, 100)]
    public void Completion_is_refused_with_AMOUNT_MISMATCH_unless_credited_equals_transferred_equals_table(long table, long transferred, long credited)
    {
        var t = DestinationWithTable(table, transferred);
        var ex = Assert.Throws<DomainRuleException>(() => t.Complete(Fen(credited), D("2026-03-11")));
        Assert.Equal(ReasonCodes.AmountMismatch, ex.Reason);
        Assert.Equal(TransferState.InfoTableSent, t.State);
        Assert.Null(t.CreditedAmount);
    }

    [Fact]
    public void Money_is_conserved_across_generated_transfers()
    {
        var rng = new Random(2026);
        for (var i = 0; i < 500; i++)
        {
            var table = rng.NextInt64(0, 10_000_000);
            var transferred = rng.Next(4) == 0 ? table + rng.Next(-2, 3) : table;
            var credited = rng.Next(4) == 0 ? transferred + rng.Next(-2, 3) : transferred;
            if (transferred < 0 || credited < 0) continue;
            var t = DestinationWithTable(table, transferred);
            var shouldComplete = table == transferred && transferred == credited;
            try
            {
                t.Complete(Fen(credited), D("2026-03-11"));
                Assert.True(shouldComplete);
                Assert.Equal(t.TableAmount, t.CreditedAmount);
                Assert.Equal(t.TransferredAmount, t.CreditedAmount);
            }
            catch (DomainRuleException ex)
            {
                Assert.False(shouldComplete);
                Assert.Equal(ReasonCodes.AmountMismatch, ex.Reason);
            }
        }
    }

    [Fact]
    public void Negative_amounts_are_refused()
    {
        var t = Transfer.Accept("T-2", InnerMongolia, Sichuan, D("2026-03-02"));
        t.SendLetter(D("2026-03-03"));
        var ex = Assert.Throws<DomainRuleException>(() => t.SendInfoTable(Fen(-1), Fen(-1), D("2026-03-04")));
        Assert.Equal(ReasonCodes.InvalidAmount, ex.Reason);
        Assert.Equal(TransferState.LetterSent, t.State);
    }

    [Fact]
    public void Withdrawal_before_the_origin_acts_needs_its_confirmation_once_the_letter_is_out()
    {
        var dest = Transfer.Accept("T-3", InnerMongolia, Sichuan, D("2026-03-02"));
        dest.SendLetter(D("2026-03-03"));
        var origin = Transfer.ReceiveLetter("T-3", InnerMongolia, Sichuan, D("2026-03-03"));

        Assert.Equal(ReasonCodes.OriginConfirmationRequired, Assert.Throws<DomainRuleException>(() => dest.Withdraw(D("2026-03-04"))).Reason);
        dest.RequestWithdrawal(D("2026-03-04"));
        origin.Withdraw(D("2026-03-04"));   // origin had not acted: confirms
        dest.Withdraw(D("2026-03-05"));     // confirmation arrived

        Assert.Equal(TransferState.Withdrawn, origin.State);
        Assert.Equal(TransferState.Withdrawn, dest.State);
        Assert.Equal(["Accepted", "LetterSent", "WithdrawalRequested", "Withdrawn"], dest.Timeline.Select(e => e.Event));
    }

    [Fact]
    public void Information_table_arriving_first_refuses_a_pending_withdrawal_request()
    {
        var dest = Transfer.Accept("T-4", InnerMongolia, Sichuan, D("2026-03-02"));
        dest.SendLetter(D("2026-03-03"));
        dest.RequestWithdrawal(D("2026-03-05"));
        dest.SendInfoTable(Fen(500), Fen(500), D("2026-03-05")); // the origin had already sent it

        Assert.Equal(TransferState.InfoTableSent, dest.State);
        Assert.Equal(ReasonCodes.OriginAlreadyActed, Assert.Throws<DomainRuleException>(() => dest.Withdraw(D("2026-03-06"))).Reason);
        dest.Complete(Fen(500), D("2026-03-06"));
        Assert.Equal(TransferState.Completed, dest.State);
    }

    [Fact]
    public void Before_the_letter_is_sent_the_destination_withdraws_at_once()
    {
        var dest = Transfer.Accept("T-5", InnerMongolia, Sichuan, D("2026-03-02"));
        dest.Withdraw(D("2026-03-02"));
        Assert.Equal(TransferState.Withdrawn, dest.State);
        Assert.Empty(dest.Schedule(SeedLibrary.Regimes, SeedLibrary.Calendar).Overdue(D("2026-12-31")));
    }

    [Fact]
    public void Returned_letter_records_reason_code_and_text_for_the_destination()
    {
        var dest = Transfer.Accept("T-6", InnerMongolia, Sichuan, D("2026-03-02"));
        dest.SendLetter(D("2026-03-03"));
        dest.ReturnLetter(ReturnReason.PersonNotSuspended, "  enrolment still active  ", D("2026-03-04"));

        Assert.Equal(TransferState.LetterReturned, dest.State);
        Assert.True(dest.IsTerminal);
        Assert.Equal("enrolment still active", dest.ReturnText);
        var entry = dest.Timeline[^1];
        Assert.Equal("LetterReturned", entry.Event);
        Assert.Equal("PERSON_NOT_SUSPENDED: enrolment still active", entry.Detail);
    }

    [Theory]
    [InlineData(ReturnReason.PersonNotSuspended, "PERSON_NOT_SUSPENDED")]
    [InlineData(ReturnReason.PersonUnknown, "PERSON_UNKNOWN")]
    [InlineData(ReturnReason.DocumentsInconsistent, "DOCUMENTS_INCONSISTENT")]
    [InlineData(ReturnReason.Other, "OTHER")]
    public void Return_reasons_have_stable_wire_codes(ReturnReason reason, string code)
    {
        Assert.Equal(code, reason.Code());
        Assert.Equal(reason, ReturnReasons.Parse(code));
    }

    [Fact]
    public void Unknown_return_reason_code_is_refused()
    {
        Assert.False(ReturnReasons.TryParse("NOT_A_REASON", out _));
        Assert.Throws<FormatException>(() => ReturnReasons.Parse("person_unknown"));
    }

    [Fact]
    public void An_event_dated_before_the_last_one_is_refused_with_DATE_OUT_OF_ORDER()
    {
        var t = Transfer.Accept("T-7", InnerMongolia, Sichuan, D("2026-03-05"));
        var ex = Assert.Throws<DomainRuleException>(() => t.SendLetter(D("2026-03-04")));
        Assert.Equal(ReasonCodes.DateOutOfOrder, ex.Reason);
        Assert.Equal(TransferState.Accepted, t.State);
    }

    [Fact]
    public void A_transfer_inside_one_province_is_refused()
    {
        var ex = Assert.Throws<DomainRuleException>(() => Transfer.Accept("T-8", Sichuan, Sichuan, D("2026-03-02")));
        Assert.Equal(ReasonCodes.NotCrossProvince, ex.Reason);
    }

    [Fact]
    public void Schedule_of_a_destination_copy_uses_its_own_dates_and_both_provinces_rules()
    {
        var t = DestinationWithTable(100, 100); // IM → Sichuan, table arrived 2026-03-10
        var s = t.Schedule(SeedLibrary.Regimes, SeedLibrary.Calendar);
        Assert.Equal(D("2026-03-13"), s.For(TransferStep.Completion)!.Due.Date); // Sichuan 3 days
        Assert.Equal(new ProvinceCode("15"), s.For(TransferStep.InfoTable)!.GoverningProvince);
        Assert.Equal(D("2026-03-10"), s.For(TransferStep.InfoTable)!.DoneOn);
        Assert.Equal([TransferStep.Completion], s.Overdue(D("2026-03-16")).Select(o => o.Step));
    }

    public static TheoryData<string, Func<TransferSnapshot, TransferSnapshot>> Corruptions() => new()
    {
        { "completed without credit", s => s with { CreditedAmount = null } },
        { "credited differs", s => s with { CreditedAmount = new Money(1) } },
        { "origin in Accepted", s => s with { Role = TransferRole.Origin, LetterReceivedOn = s.AcceptedOn } },
        { "dates out of order", s => s with { CompletedOn = new DateOnly(2026, 3, 1) } },
        { "withdrawn date on a completed transfer", s => s with { WithdrawnOn = s.CompletedOn } },
        { "no acceptance date", s => s with { AcceptedOn = null } },
        { "no letter date", s => s with { LetterSentOn = null } },
        { "bad province code", s => s with { Origin = new ProvinceCode("1") } },
        { "unknown province code", s => s with { Destination = new ProvinceCode("99") } },
        { "return text without a return", s => s with { ReturnText = "x" } },
        { "destination acknowledged", s => s with { State = TransferState.Acknowledged, AcknowledgedOn = s.CompletedOn } },
        { "unknown state", s => s with { State = (TransferState)42 } },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Restore_refuses_columns_that_cannot_describe_a_transfer(string what, Func<TransferSnapshot, TransferSnapshot> corrupt)
    {
        var good = DestinationWithTable(100, 100);
        good.Complete(Fen(100), D("2026-03-11"));
        var snapshot = good.ToSnapshot();
        Assert.Equal(snapshot, Transfer.Restore(snapshot).ToSnapshot());

        var ex = Assert.Throws<DomainRuleException>(() => Transfer.Restore(corrupt(snapshot)));
        Assert.True(ex.Reason == ReasonCodes.InconsistentSnapshot, what + ": " + ex.Reason);
    }
}
