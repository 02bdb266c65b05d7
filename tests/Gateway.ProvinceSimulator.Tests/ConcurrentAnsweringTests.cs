using Gateway.Contracts.Transfer.V1;

namespace Gateway.ProvinceSimulator.Tests;

/// <summary>Which path the answers take, and how many items the simulated province answers at once.</summary>
public sealed class ConcurrentAnsweringTests
{
    private static readonly TimeSpan Patience = SimulatorRig.Patience;

    [Fact]
    public async Task Answers_go_on_the_exchange_stream_by_default()
    {
        await using var rig = await SimulatorRig.StartAsync("15");
        rig.Store.Enqueue(Items.Of(WorkItemKind.CheckOriginEnrolment, "streamed", rig.Registry.People[0]));
        await rig.System.WaitForAnsweredAsync("streamed", Patience);

        Assert.Equal((1, 0), rig.Store.AnswersByPath);
        Assert.Contains("answer-streamed", rig.Store.IdempotencyKeys);
    }

    [Fact]
    public async Task The_unary_option_answers_with_one_call_per_item()
    {
        await using var rig = await SimulatorRig.StartAsync("15", options: SimulatorRig.FastOptions with { Path = WorkItemPath.Unary });
        rig.Store.Enqueue(Items.Of(WorkItemKind.CheckOriginEnrolment, "unary-1", rig.Registry.People[0]));
        rig.Store.Enqueue(Items.Of(WorkItemKind.CheckOriginEnrolment, "unary-2", rig.Registry.People[1]));
        await rig.System.WaitForAnsweredCountAsync(2, Patience);

        Assert.Equal((0, 2), rig.Store.AnswersByPath);
    }

    [Fact]
    public async Task Answers_many_items_at_once_but_never_more_than_the_bound()
    {
        const int bound = 4, items = 12;
        await using var rig = await SimulatorRig.StartAsync("15", options: SimulatorRig.FastOptions with { MaxAnswersInFlight = bound, CallTimeout = TimeSpan.FromMinutes(1) });
        rig.Store.HoldAnswers();
        for (var i = 0; i < items; i++)
            rig.Store.Enqueue(Items.Of(WorkItemKind.CheckOriginEnrolment, $"bounded-{i}", rig.Registry.People[i % rig.Registry.Count]));

        await Eventually(() => rig.Store.StreamAnswersWaiting.Now == bound);
        Assert.Equal(bound, rig.Store.StreamAnswersWaiting.Max);
        rig.Store.ReleaseAnswers();
        await rig.System.WaitForAnsweredCountAsync(items, Patience);

        Assert.Equal(bound, rig.Store.StreamAnswersWaiting.Max);
        Assert.All(Enumerable.Range(0, items), i => Assert.Equal(1, rig.Store.AnswerCalls($"bounded-{i}")));
    }

    [Fact]
    public async Task An_item_delivered_again_while_its_answer_is_under_way_is_debited_once_and_gets_the_same_answer()
    {
        await using var rig = await SimulatorRig.StartAsync("15", options: SimulatorRig.FastOptions with { CallTimeout = TimeSpan.FromMinutes(1) });
        var person = rig.PersonWith(p => p.BalanceFen > 0);
        var total = rig.Registry.TotalBalance();
        rig.Store.HoldAnswers();
        rig.Store.Enqueue(Items.Of(WorkItemKind.BuildInformationTable, "table-twice", person));
        await Eventually(() => rig.Store.StreamAnswersWaiting.Now == 1);

        rig.Store.Redeliver("table-twice");
        await rig.System.WaitForReceivedAsync(i => i.ItemId == "table-twice", Patience, count: 2);
        rig.Store.ReleaseAnswers();
        var repeat = await rig.System.WaitForAnsweredAsync(a => a.ItemId == "table-twice" && a.Repeat, Patience);
        var first = await rig.System.WaitForAnsweredAsync(a => a.ItemId == "table-twice" && !a.Repeat, Patience);

        Assert.Equal(first.Answer, repeat.Answer);
        Assert.Equal(2, rig.Store.AnswerCalls("table-twice"));
        Assert.Equal(1, rig.System.Counters.Duplicates);
        Assert.Equal(total - person.BalanceFen, rig.Registry.TotalBalance());
        Assert.Equal(person.BalanceFen, rig.Store.AnswerOf("table-twice")!.InformationTable.TransferredAmountFen);
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("Condition not met in time.");
            await Task.Delay(20);
        }
    }
}
