using Grpc.Core;
using Gateway.Contracts.Transfer.V1;
using Gateway.Node.Transfers;
using Gateway.ProvinceSimulator;
using static Gateway.Harness.Tests.ProcessClusterFixture;

namespace Gateway.Harness.Tests;

/// <summary>
/// SIGKILL a node while a money-moving work item is pending at its province system, restart it, and check
/// that the item is delivered again yet money moves once (DESIGN §6.1: node → province system).
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class NodeKillTests(ProcessClusterFixture fx)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static DateOnly Today => TransferDriver.Today;

    [Fact]
    public async Task Killed_node_mid_transfer_restarts_and_money_is_credited_exactly_once()
    {
        var node = fx.Cluster[Destination];
        var person = fx.Driver.PickPerson(Origin, EnrolmentState.Suspended);
        var totalBefore = fx.TotalBalance();
        var atDestinationBefore = node.Registry.Find(person.IdentityNumber)?.BalanceFen ?? 0;

        var (transferId, itemId, duplicatesBefore) = await KillWhilePendingAsync(node, person, WorkItemKind.CreditBalance, Steps.Credit);

        var destination = await fx.Driver.WaitForStateAsync(Destination, transferId, Timeout, TransferState.Completed);
        var origin = await fx.Driver.WaitForStateAsync(Origin, transferId, Timeout, TransferState.Acknowledged);
        await AssertAppliedOnceAsync(node, itemId, duplicatesBefore);

        Assert.Equal(person.BalanceFen, origin.TransferredAmountFen);
        Assert.Equal(origin.TransferredAmountFen, destination.CreditedAmountFen);
        Assert.Equal(atDestinationBefore + origin.TransferredAmountFen, node.Registry.BalanceOf(person.IdentityNumber));
        Assert.Equal(0, fx.Cluster[Origin].Registry.BalanceOf(person.IdentityNumber));
        Assert.Equal(totalBefore, fx.TotalBalance());
        // The restarted node completed once: one completion envelope, one credited amount on record.
        Assert.Equal(1, await fx.Db(Destination).CountAsync(
            "SELECT count(*) FROM outbox WHERE correlation_id = @id AND message_type = 'TransferCompleted'", ("id", transferId)));
        Assert.Equal(origin.TransferredAmountFen, Convert.ToInt64(await fx.Db(Destination).ScalarAsync(
            "SELECT credited_amount_fen FROM transfers WHERE transfer_id = @id", ("id", transferId))));
    }

    [Fact]
    public async Task Killed_origin_with_the_debit_pending_restarts_and_debits_exactly_once()
    {
        var node = fx.Cluster[Origin];
        var person = fx.Driver.PickPerson(Origin, EnrolmentState.Suspended);
        var totalBefore = fx.TotalBalance();

        var (transferId, itemId, duplicatesBefore) = await KillWhilePendingAsync(node, person, WorkItemKind.BuildInformationTable, Steps.BuildTable);

        var destination = await fx.Driver.WaitForStateAsync(Destination, transferId, Timeout, TransferState.Completed);
        var origin = await fx.Driver.WaitForStateAsync(Origin, transferId, Timeout, TransferState.Acknowledged);
        await AssertAppliedOnceAsync(node, itemId, duplicatesBefore);

        // The redelivered table carries the first debit's amount, not the (now empty) balance.
        Assert.Equal(person.BalanceFen, origin.TransferredAmountFen);
        Assert.Equal(person.BalanceFen, destination.CreditedAmountFen);
        Assert.Equal(0, node.Registry.BalanceOf(person.IdentityNumber));
        Assert.Equal(totalBefore, fx.TotalBalance());
        Assert.Equal(1, await fx.Db(Origin).CountAsync(
            "SELECT count(*) FROM outbox WHERE correlation_id = @id AND message_type = 'InformationTableSent'", ("id", transferId)));
    }

    [Fact]
    public async Task Second_different_answer_to_an_answered_credit_item_is_a_conflict_recorded_and_held()
    {
        // A province system that restarted and lost its memory answers again, under a new key, with another amount.
        var person = fx.Driver.PickPerson(Origin, EnrolmentState.Suspended);
        var (destination, _) = await fx.Driver.RunAsync(Origin, Destination, person, Today, Timeout);
        Assert.Equal(TransferState.Completed, destination.State);
        var itemId = TransferSteps.ItemId(destination.TransferId, Steps.Credit);

        var client = new WorkItemService.WorkItemServiceClient(fx.Cluster[Destination].Channel);
        var conflict = await Assert.ThrowsAsync<RpcException>(() => client.AnswerWorkItemAsync(new AnswerWorkItemRequest
        {
            ItemId = itemId,
            CreditBalance = new CreditBalanceAnswer { CreditedAmountFen = destination.CreditedAmountFen + 100 },
        }, TransferDriver.Key()).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, conflict.StatusCode);
        Assert.Equal("WORK_ITEM_ANSWER_CONFLICT", conflict.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>()!.Reason);
        var after = await fx.Driver.Client(Destination).GetTransferAsync(new GetTransferRequest { TransferId = destination.TransferId });
        Assert.Equal(destination.CreditedAmountFen, after.CreditedAmountFen);
        Assert.Equal(TransferState.Completed, after.State);
        Assert.True(after.Held);
        Assert.StartsWith("WORK_ITEM_ANSWER_CONFLICT", after.HoldReason);
        Assert.Equal(1, await fx.Db(Destination).CountAsync("SELECT count(*) FROM work_item_answer_conflicts WHERE item_id = @id", ("id", itemId)));
        Assert.Equal(1, await fx.Db(Destination).CountAsync(
            "SELECT count(*) FROM outbox WHERE correlation_id = @id AND message_type = 'TransferCompleted'", ("id", destination.TransferId)));
    }

    /// <summary>
    /// Starts a transfer; when <paramref name="node"/>'s province system receives the <paramref name="kind"/> item it is
    /// paused (item received, not applied); the node is killed and restarted; once the restarted node has delivered
    /// the item again, the province system resumes and so sees it twice.
    /// </summary>
    private async Task<(string TransferId, string ItemId, long DuplicatesBefore)> KillWhilePendingAsync(
        ProvinceNode node, SyntheticPerson person, WorkItemKind kind, string step)
    {
        var simulator = node.Simulator!;
        var duplicatesBefore = simulator.Counters.Duplicates;
        void PauseOnItem(object? _, WorkItem item)
        {
            if (item.Kind == kind && item.Person?.Certno == person.IdentityNumber) simulator.Pause();
        }
        simulator.ItemReceived += PauseOnItem;
        try
        {
            var certificate = await fx.Driver.IssueCertificateAsync(Origin, person, Today);
            var transferId = (await fx.Driver.SubmitAsync(Destination, certificate, Today)).TransferId;
            var itemId = TransferSteps.ItemId(transferId, step);
            await simulator.WaitForReceivedAsync(i => i.ItemId == itemId, Timeout);
            Assert.True(simulator.IsPaused);
            Assert.False(node.Registry.HasApplied(itemId));

            var killedPid = node.ProcessId;
            await node.KillAsync();
            Assert.False(node.IsRunning);
            await node.StartAsync();
            Assert.NotEqual(killedPid, node.ProcessId);
            await simulator.WaitForReceivedAsync(i => i.ItemId == itemId, Timeout, count: 2);
            return (transferId, itemId, duplicatesBefore);
        }
        finally
        {
            simulator.ItemReceived -= PauseOnItem;
            simulator.Resume();
            if (!node.IsRunning) await node.StartAsync();
        }
    }

    private async Task AssertAppliedOnceAsync(ProvinceNode node, string itemId, long duplicatesBefore)
    {
        var simulator = node.Simulator!;
        await simulator.WaitForAnsweredAsync(a => a.ItemId == itemId, Timeout, count: 2);
        var answers = simulator.AnsweredItems.Where(a => a.ItemId == itemId).ToList();
        Assert.Equal(2, answers.Count);
        Assert.Single(answers, a => !a.Repeat);
        Assert.True(node.Registry.HasApplied(itemId));
        Assert.True(simulator.Counters.Duplicates > duplicatesBefore);
        var (status, deliveries) = (await fx.Db(node.Province).QueryAsync(
            "SELECT status, delivery_count FROM work_items WHERE item_id = @id", r => (r.GetString(0), r.GetInt32(1)), ("id", itemId))).Single();
        Assert.Equal("answered", status);
        Assert.True(deliveries >= 2, $"delivered {deliveries} time(s)");
    }
}
