using Gateway.Contracts.Transfer.V1;

namespace Gateway.ProvinceSimulator.Tests;

/// <summary>The simulated province answers each kind of work item over a real gRPC stream.</summary>
public sealed class WorkItemAnsweringTests
{
    private static readonly TimeSpan Patience = SimulatorRig.Patience;

    [Theory]
    [InlineData(EnrolmentState.Suspended, EnrolmentStatus.Suspended)]
    [InlineData(EnrolmentState.Active, EnrolmentStatus.Active)]
    [InlineData(EnrolmentState.Terminated, EnrolmentStatus.Terminated)]
    public async Task Origin_check_answers_the_registry_status(EnrolmentState state, EnrolmentStatus expected)
    {
        await using var rig = await SimulatorRig.StartAsync("15");
        var person = rig.Registry.People[0];
        rig.Registry.SetStatus(person.IdentityNumber, state);

        rig.Store.Enqueue(Items.Of(WorkItemKind.CheckOriginEnrolment, "check-1", person));
        await rig.System.WaitForAnsweredAsync("check-1", Patience);

        Assert.Equal(expected, rig.Store.AnswerOf("check-1")!.OriginEnrolment.Status);
        Assert.Contains("answer-check-1", rig.Store.IdempotencyKeys);
    }

    [Fact]
    public async Task Origin_check_of_a_person_not_in_the_registry_answers_unknown_person()
    {
        await using var rig = await SimulatorRig.StartAsync("15");
        var stranger = SyntheticRegistry.Create("15", 1, seed: 999).People[0];
        Assert.Null(rig.Registry.Find(stranger.IdentityNumber));

        rig.Store.Enqueue(Items.Of(WorkItemKind.CheckOriginEnrolment, "check-x", stranger));
        await rig.System.WaitForAnsweredAsync("check-x", Patience);

        Assert.Equal(EnrolmentStatus.UnknownPerson, rig.Store.AnswerOf("check-x")!.OriginEnrolment.Status);
    }

    [Fact]
    public async Task Behaviour_switches_override_the_registry_for_origin_checks()
    {
        await using var rig = await SimulatorRig.StartAsync("15");
        var person = rig.Registry.People[0];
        rig.Registry.SetStatus(person.IdentityNumber, EnrolmentState.Suspended);

        rig.System.Behaviour = Behaviour.AnswerNotSuspended;
        rig.Store.Enqueue(Items.Of(WorkItemKind.CheckOriginEnrolment, "c-active", person));
        await rig.System.WaitForAnsweredAsync("c-active", Patience);

        rig.System.Behaviour = Behaviour.AnswerUnknownPerson;
        rig.Store.Enqueue(Items.Of(WorkItemKind.CheckOriginEnrolment, "c-unknown", person));
        await rig.System.WaitForAnsweredAsync("c-unknown", Patience);

        rig.System.Behaviour = Behaviour.Normal;
        rig.Store.Enqueue(Items.Of(WorkItemKind.CheckOriginEnrolment, "c-normal", person));
        await rig.System.WaitForAnsweredAsync("c-normal", Patience);

        Assert.Equal(EnrolmentStatus.Active, rig.Store.AnswerOf("c-active")!.OriginEnrolment.Status);
        Assert.Equal(EnrolmentStatus.UnknownPerson, rig.Store.AnswerOf("c-unknown")!.OriginEnrolment.Status);
        Assert.Equal(EnrolmentStatus.Suspended, rig.Store.AnswerOf("c-normal")!.OriginEnrolment.Status);
    }

    [Fact]
    public async Task Information_table_lists_the_periods_and_sends_the_debited_balance()
    {
        await using var rig = await SimulatorRig.StartAsync("15");
        var person = rig.PersonWith(p => p.BalanceFen > 0 && p.Periods.Count > 0);

        rig.Store.Enqueue(Items.Of(WorkItemKind.BuildInformationTable, "table-1", person));
        await rig.System.WaitForAnsweredAsync("table-1", Patience);

        var answer = rig.Store.AnswerOf("table-1")!.InformationTable;
        Assert.Equal(person.BalanceFen, answer.TransferredAmountFen);
        Assert.Equal(person.BalanceFen, answer.Table.AmountFen);
        Assert.Equal(person.IdentityNumber, answer.Table.Person.Certno);
        Assert.Equal(person.Periods.Select(p => p.FromMonth.ToString("yyyy-MM")), answer.Table.Rows.Select(r => r.From));
        Assert.Equal(person.Periods.Select(p => p.PaidMonths), answer.Table.Rows.Select(r => r.PaidMonths));
        Assert.StartsWith("15", answer.Table.Agency.Admdvs);
        Assert.Equal("2026-03-02", answer.Table.IssuedOn); // the item's creation date in China time
        Assert.Equal(0, rig.Registry.BalanceOf(person.IdentityNumber));
    }

    [Fact]
    public async Task A_redelivered_information_table_item_gets_the_same_answer_and_debits_once()
    {
        await using var rig = await SimulatorRig.StartAsync("15");
        var person = rig.PersonWith(p => p.BalanceFen > 0);
        var total = rig.Registry.TotalBalance();

        rig.Store.Enqueue(Items.Of(WorkItemKind.BuildInformationTable, "table-r", person));
        var first = await rig.System.WaitForAnsweredAsync("table-r", Patience);
        rig.Registry.Credit("top-up", person.IdentityNumber, 777); // a later deposit must not be swept by the repeat
        rig.Store.Redeliver("table-r");
        var second = await rig.System.WaitForAnsweredAsync(a => a.ItemId == "table-r", Patience, count: 2);

        Assert.False(first.Repeat);
        Assert.True(second.Repeat);
        Assert.True(second.AlreadyAnswered);
        Assert.Equal(first.Answer, second.Answer);
        Assert.Equal(2, rig.Store.AnswerCalls("table-r"));
        Assert.Equal(1, rig.System.Counters.Duplicates);
        Assert.Equal(777, rig.Registry.BalanceOf(person.IdentityNumber));
        Assert.Equal(total - person.BalanceFen + 777, rig.Registry.TotalBalance());
    }

    [Fact]
    public async Task A_restarted_simulator_on_the_same_registry_answers_a_redelivered_table_identically()
    {
        var registry = SyntheticRegistry.Create("15", 30, seed: 7);
        var person = registry.People.First(p => p.BalanceFen > 0);
        AnswerWorkItemRequest firstAnswer;
        await using (var rig = await SimulatorRig.StartAsync("15", registry))
        {
            rig.Store.Enqueue(Items.Of(WorkItemKind.BuildInformationTable, "table-s", person));
            firstAnswer = (await rig.System.WaitForAnsweredAsync("table-s", Patience)).Answer;
        }
        await using var again = await SimulatorRig.StartAsync("15", registry);
        again.Store.Enqueue(Items.Of(WorkItemKind.BuildInformationTable, "table-s", person));
        var answered = await again.System.WaitForAnsweredAsync("table-s", Patience);

        Assert.Equal(firstAnswer, answered.Answer);
        Assert.True(answered.Repeat);
        Assert.Equal(person.BalanceFen, answered.Answer.InformationTable.TransferredAmountFen);
        Assert.Equal(0, registry.BalanceOf(person.IdentityNumber));
    }

    [Fact]
    public async Task Credit_enrols_an_unknown_newcomer_as_active_and_credits_once_despite_redelivery()
    {
        await using var rig = await SimulatorRig.StartAsync("51");
        var newcomer = SyntheticRegistry.Create("15", 30, seed: 7).People.First(p => p.BalanceFen > 0);
        Assert.Null(rig.Registry.Find(newcomer.IdentityNumber));

        rig.Store.Enqueue(Items.Of(WorkItemKind.CreditBalance, "credit-1", newcomer, amountFen: 123_456));
        await rig.System.WaitForAnsweredAsync("credit-1", Patience);
        rig.Store.Redeliver("credit-1");
        await rig.System.WaitForAnsweredAsync(a => a.ItemId == "credit-1", Patience, count: 2);

        Assert.Equal(123_456, rig.Store.AnswerOf("credit-1")!.CreditBalance.CreditedAmountFen);
        var enrolled = rig.Registry.Find(newcomer.IdentityNumber)!;
        Assert.Equal(EnrolmentState.Active, enrolled.Status);
        Assert.Equal(newcomer.Name, enrolled.Name);
        Assert.StartsWith("51", enrolled.PoolingRegion);
        Assert.Equal(123_456, enrolled.BalanceFen);
    }

    [Fact]
    public async Task Closing_the_origin_record_terminates_it_and_is_acknowledged()
    {
        await using var rig = await SimulatorRig.StartAsync("15");
        var person = rig.Registry.People[1];
        rig.Registry.SetStatus(person.IdentityNumber, EnrolmentState.Suspended);

        rig.Store.Enqueue(Items.Of(WorkItemKind.CloseOriginRecord, "close-1", person));
        await rig.System.WaitForAnsweredAsync("close-1", Patience);

        Assert.Equal(AnswerWorkItemRequest.AnswerOneofCase.Acknowledgement, rig.Store.AnswerOf("close-1")!.AnswerCase);
        var closed = rig.Registry.Find(person.IdentityNumber)!;
        Assert.Equal(EnrolmentState.Terminated, closed.Status);
        Assert.Equal("T-close-1", closed.ClosedByTransfer);
    }

    [Fact]
    public async Task A_returned_letter_is_noted_with_its_reason_and_acknowledged()
    {
        await using var rig = await SimulatorRig.StartAsync("51");
        var person = SyntheticRegistry.Create("15", 5, seed: 1).People[0];
        var item = Items.Of(WorkItemKind.LetterReturned, "returned-1", person);
        item.ReasonCode = "NOT_SUSPENDED";
        item.Reason = "the person is still actively enrolled at the origin";

        rig.Store.Enqueue(item);
        await rig.System.WaitForAnsweredAsync("returned-1", Patience);

        Assert.Equal(AnswerWorkItemRequest.AnswerOneofCase.Acknowledgement, rig.Store.AnswerOf("returned-1")!.AnswerCase);
        var notice = Assert.Single(rig.System.ReturnedLetters);
        Assert.Equal(("T-returned-1", person.IdentityNumber, "NOT_SUSPENDED"), (notice.TransferId, notice.Certno, notice.ReasonCode));
    }

    [Fact]
    public async Task Paused_items_are_received_but_not_answered_until_resumed()
    {
        await using var rig = await SimulatorRig.StartAsync("15");
        var person = rig.PersonWith(p => p.BalanceFen > 0);
        rig.System.Pause();
        Assert.True(rig.System.IsPaused);

        rig.Store.Enqueue(Items.Of(WorkItemKind.BuildInformationTable, "held", person));
        await rig.System.WaitForReceivedAsync(i => i.ItemId == "held", Patience);
        await Task.Delay(300);

        Assert.Null(rig.Store.AnswerOf("held"));
        Assert.Equal(person.BalanceFen, rig.Registry.BalanceOf(person.IdentityNumber));

        rig.System.Resume();
        await rig.System.WaitForAnsweredAsync("held", Patience);
        Assert.Equal(person.BalanceFen, rig.Store.AnswerOf("held")!.InformationTable.TransferredAmountFen);
    }

    [Fact]
    public async Task An_answer_is_retried_after_transient_node_errors()
    {
        await using var rig = await SimulatorRig.StartAsync("15");
        rig.Store.FailNextAnswers(2);

        var raised = new List<string>();
        rig.System.ItemAnswered += (_, a) => { lock (raised) raised.Add(a.ItemId); };
        rig.Store.Enqueue(Items.Of(WorkItemKind.CheckOriginEnrolment, "flaky", rig.Registry.People[0]));
        await rig.System.WaitForAnsweredAsync("flaky", Patience);

        Assert.Equal(1, rig.Store.AnswerCalls("flaky"));
        Assert.Equal(0, rig.System.Counters.AnswerFailures);
        lock (raised) Assert.Equal(["flaky"], raised);
    }

    [Fact]
    public async Task Money_is_conserved_from_origin_table_to_destination_credit()
    {
        await using var origin = await SimulatorRig.StartAsync("15", seed: 21);
        await using var destination = await SimulatorRig.StartAsync("51", seed: 22);
        var total = origin.Registry.TotalBalance() + destination.Registry.TotalBalance();
        var movers = origin.Registry.People.Where(p => p.BalanceFen > 0).Take(4).ToList();

        foreach (var (p, i) in movers.Select((p, i) => (p, i)))
        {
            origin.Store.Enqueue(Items.Of(WorkItemKind.BuildInformationTable, $"t{i}", p));
            var sent = (await origin.System.WaitForAnsweredAsync($"t{i}", Patience)).Answer.InformationTable.TransferredAmountFen;
            destination.Store.Enqueue(Items.Of(WorkItemKind.CreditBalance, $"c{i}", p, sent));
            destination.Store.Redeliver($"c{i}");
        }
        await destination.System.WaitForAnsweredCountAsync(movers.Count * 2, Patience);

        Assert.Equal(total, origin.Registry.TotalBalance() + destination.Registry.TotalBalance());
        Assert.All(movers, p => Assert.Equal(p.BalanceFen, destination.Registry.BalanceOf(p.IdentityNumber)));
        Assert.Equal(movers.Count, destination.System.Counters.Duplicates);
    }
}
