using Gateway.Contracts.Ops.V1;
using Gateway.Contracts.Transfer.V1;
using Gateway.Harness;
using Gateway.ProvinceSimulator;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Gateway.Node.Tests;

/// <summary>
/// The actions that end or unblock one exchange (release a hold, cancel a stuck exchange) and the paced re-send job,
/// on the ops cluster (15 origin, 51 destination, a 3-send budget 2 s apart).
/// </summary>
[Collection(OpsCollection.Name)]
public sealed class OpsActionTests(OpsClusterFixture fx)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static Metadata Key() => TransferDriver.Key();

    private async Task<IReadOnlyList<AuditEntry>> AuditAsync(string province, string transferId) =>
        (await fx.Ops(province).GetExchangeStoryAsync(new GetExchangeStoryRequest { TransferId = transferId })).OperatorActions;

    [Fact]
    public async Task A_transfer_held_for_a_wrong_credit_is_released_once_the_books_are_corrected_and_completes()
    {
        var simulator = fx.Cluster["51"].Simulator!;
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        Contracts.Transfer.V1.Transfer accepted;
        simulator.Pause(); // the destination's clerk answers the credit item by hand, with the wrong amount
        try
        {
            var certificate = await fx.Driver.IssueCertificateAsync("15", person, TransferDriver.Today);
            accepted = await fx.Driver.SubmitAsync("51", certificate, TransferDriver.Today);
            await fx.Driver.WaitForStateAsync("51", accepted.TransferId, Timeout, TransferState.InfoTableSent);
            var workItems = new WorkItemService.WorkItemServiceClient(fx.Cluster["51"].Channel);
            var wrong = await workItems.AnswerWorkItemAsync(new AnswerWorkItemRequest
            {
                ItemId = $"{accepted.TransferId}:credit", CreditBalance = new CreditBalanceAnswer { CreditedAmountFen = person.BalanceFen + 100 },
            }, Key());
            Assert.True(wrong.Held);

            var ops = fx.Ops("51");
            var held = (await ops.ListExchangesAsync(new ListExchangesRequest { Condition = Condition.Held, PageSize = 500 })).Entries
                .Single(e => e.TransferId == accepted.TransferId);
            Assert.StartsWith("AMOUNT_MISMATCH", held.Reason);

            // Money may have moved: the exchange cannot be cancelled, and a release naming another hold is refused.
            var refused = await Assert.ThrowsAsync<RpcException>(() => ops.CancelExchangeAsync(
                new CancelExchangeRequest { TransferId = accepted.TransferId, Operator = "ops-r", Reason = "try to cancel" }, Key()).ResponseAsync);
            Assert.Equal((StatusCode.FailedPrecondition, "MONEY_MAY_HAVE_MOVED"), (refused.StatusCode, ErrorDetails.Reason(refused)));
            refused = await Assert.ThrowsAsync<RpcException>(() => ops.ReleaseHoldAsync(new ReleaseHoldRequest
            {
                TransferId = accepted.TransferId, HoldCode = "WORK_ITEM_ANSWER_CONFLICT", Operator = "ops-r", Reason = "wrong code",
            }, Key()).ResponseAsync);
            Assert.Equal("HOLD_CHANGED", ErrorDetails.Reason(refused));

            var released = await ops.ReleaseHoldAsync(new ReleaseHoldRequest
            {
                TransferId = accepted.TransferId, HoldCode = "AMOUNT_MISMATCH", Operator = "ops-r", Reason = "the clerk reversed the extra 1 yuan",
            }, Key());
            Assert.Equal("REISSUED", released.Result);
            var view = await fx.Driver.Client("51").GetTransferAsync(new GetTransferRequest { TransferId = accepted.TransferId });
            Assert.False(view.Held);
            Assert.Contains(view.Timeline, e => e.Event == "Released" && e.Detail.Contains("AMOUNT_MISMATCH"));
        }
        finally
        {
            simulator.Resume();
        }

        // The re-issued item names the first one, so the simulated books credit once, with the transferred amount.
        var done = await fx.Driver.WaitForStateAsync("51", accepted.TransferId, Timeout, TransferState.Completed);
        Assert.Equal(person.BalanceFen, done.CreditedAmountFen);
        await fx.Driver.WaitForStateAsync("15", accepted.TransferId, Timeout, TransferState.Acknowledged);
        var audit = await AuditAsync("51", accepted.TransferId);
        Assert.Contains(audit, a => a.Action == "transfer.cancel" && a.Result == "REFUSED MONEY_MAY_HAVE_MOVED" && a.Operator == "ops-r");
        Assert.Contains(audit, a => a.Action == "transfer.release_hold" && a.Result == "REFUSED HOLD_CHANGED");
        Assert.Contains(audit, a => a.Action == "transfer.release_hold" && a.Result == $"REISSUED {accepted.TransferId}:credit:r1");
    }

    [Fact]
    public async Task A_stuck_exchange_is_cancelled_at_the_origin_by_returning_the_letter_and_the_destination_hears_of_it()
    {
        var origin = fx.Cluster["15"].Simulator!;
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        Contracts.Transfer.V1.Transfer accepted;
        origin.Pause(); // the origin's province system never answers the enrolment check: the exchange is stuck there
        try
        {
            var certificate = await fx.Driver.IssueCertificateAsync("15", person, TransferDriver.Today);
            accepted = await fx.Driver.SubmitAsync("51", certificate, TransferDriver.Today);
            await fx.Driver.WaitForStateAsync("15", accepted.TransferId, Timeout, TransferState.LetterSent);

            var cancelled = await fx.Ops("15").CancelExchangeAsync(new CancelExchangeRequest
            {
                TransferId = accepted.TransferId, Operator = "ops-o", Reason = "province system down for a week; the person will apply again",
            }, Key());
            Assert.Equal("LETTER_RETURNED", cancelled.Result);
            var atDestination = await fx.Driver.WaitForStateAsync("51", accepted.TransferId, Timeout, TransferState.LetterReturned);
            Assert.Equal("CANCELLED_BY_OPERATOR", atDestination.ReturnReasonCode);

            var again = await Assert.ThrowsAsync<RpcException>(() => fx.Ops("15").CancelExchangeAsync(
                new CancelExchangeRequest { TransferId = accepted.TransferId, Operator = "ops-o", Reason = "again" }, Key()).ResponseAsync);
            Assert.Equal("EXCHANGE_ALREADY_ENDED", ErrorDetails.Reason(again));
        }
        finally
        {
            origin.Resume();
        }
        // The certificate is free again: the person can start over with it.
        var audit = await AuditAsync("15", accepted.TransferId);
        Assert.Equal(["LETTER_RETURNED", "REFUSED EXCHANGE_ALREADY_ENDED"], audit.Where(a => a.Action == "transfer.cancel").Select(a => a.Result));
    }

    [Fact]
    public async Task A_destination_cancels_by_asking_the_origin_which_confirms_while_it_has_not_acted()
    {
        var origin = fx.Cluster["15"].Simulator!;
        var person = fx.Driver.PickPerson("15", EnrolmentState.Suspended);
        origin.Pause();
        try
        {
            var certificate = await fx.Driver.IssueCertificateAsync("15", person, TransferDriver.Today);
            var accepted = await fx.Driver.SubmitAsync("51", certificate, TransferDriver.Today);
            await fx.Driver.WaitForStateAsync("15", accepted.TransferId, Timeout, TransferState.LetterSent);
            var cancelled = await fx.Ops("51").CancelExchangeAsync(new CancelExchangeRequest
            {
                TransferId = accepted.TransferId, Operator = "ops-d", Reason = "applied by mistake",
            }, Key());
            Assert.Equal("WITHDRAWAL_REQUESTED", cancelled.Result);
            await fx.Driver.WaitForStateAsync("51", accepted.TransferId, Timeout, TransferState.Withdrawn);
            await fx.Driver.WaitForStateAsync("15", accepted.TransferId, Timeout, TransferState.Withdrawn);
        }
        finally
        {
            origin.Resume();
        }
    }

    [Fact]
    public async Task A_paced_resend_job_is_stopped_and_resumed_and_every_failed_letter_reaches_a_node_that_is_back()
    {
        const int letters = 24;
        var people = Enumerable.Range(0, letters).Select(_ => fx.Driver.PickPerson("15", EnrolmentState.Suspended)).ToList();
        var certificates = new List<Certificate>();
        foreach (var p in people) certificates.Add(await fx.Driver.IssueCertificateAsync("15", p, TransferDriver.Today));
        var from = DateTimeOffset.UtcNow.AddSeconds(-1);
        var ops = fx.Ops("51");
        var ids = new List<string>();
        await fx.Cluster["15"].StopAsync();
        try
        {
            foreach (var c in certificates) ids.Add((await fx.Driver.SubmitAsync("51", c, TransferDriver.Today)).TransferId);
            await NodeFaults.PollAsync(async () =>
            {
                var failed = (await ops.ListExchangesAsync(new ListExchangesRequest { Condition = Condition.Failed, CounterpartProvince = "15", PageSize = 500 })).Entries;
                return ids.All(id => failed.Any(e => e.TransferId == id)) ? failed : null;
            }, "every letter to fail", Timeout);
            // The broker no longer holds them for node 15: only a re-send from 51's outbox can bring them.
            NodeFaults.LoseInbox(fx.Cluster, "15");
        }
        finally
        {
            await fx.Cluster["15"].StartAsync();
        }
        await Task.Delay(TimeSpan.FromSeconds(3));
        var lost = (await ops.ListExchangesAsync(new ListExchangesRequest { Condition = Condition.Failed, CounterpartProvince = "15", PageSize = 500 })).Entries;
        Assert.All(ids, id => Assert.Contains(lost, e => e.TransferId == id)); // still failed with node 15 back

        var range = new TimeRange { From = Timestamp.FromDateTimeOffset(from), To = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddSeconds(1)) };
        var job = await ops.StartResendJobAsync(new StartResendJobRequest
        {
            CounterpartProvince = "15", Created = range, PerSecond = 5, Operator = "ops-j", Reason = "node 15 is back",
        }, Key());
        Assert.Equal("RUNNING", job.State);
        // Ours, and any other envelope to 15 that failed meanwhile (the other tests of this cluster ran before).
        Assert.InRange(job.Matched, letters, letters + 5);

        // Paced: part of the letters are re-queued before the rest; stopped, it re-queues nothing more.
        var partway = await NodeFaults.PollAsync(async () =>
        {
            var j = await ops.GetResendJobAsync(new GetResendJobRequest { JobId = job.JobId });
            return j.Requeued > 0 && j.Requeued < j.Matched ? j : null;
        }, "the job to be part way", Timeout);
        var stopped = await ops.StopResendJobAsync(new ResendJobActionRequest { JobId = job.JobId, Operator = "ops-j", Reason = "counterpart asked to wait" }, Key());
        Assert.Equal("STOPPED", stopped.State);
        Assert.True(stopped.Requeued < job.Matched, $"stopped after {stopped.Requeued}");
        await Task.Delay(TimeSpan.FromSeconds(1)); // five ticks of the runner
        var still = await ops.GetResendJobAsync(new GetResendJobRequest { JobId = job.JobId });
        Assert.Equal(stopped.Requeued, still.Requeued);
        var notAgain = await Assert.ThrowsAsync<RpcException>(() => ops.StopResendJobAsync(
            new ResendJobActionRequest { JobId = job.JobId, Operator = "ops-j", Reason = "again" }, Key()).ResponseAsync);
        Assert.Equal("RESEND_JOB_NOT_RUNNING", ErrorDetails.Reason(notAgain));

        await ops.ResumeResendJobAsync(new ResendJobActionRequest { JobId = job.JobId, Operator = "ops-j", Reason = "go on" }, Key());
        foreach (var id in ids) await fx.Driver.WaitForStateAsync("51", id, Timeout, TransferState.Completed);
        var finished = await NodeFaults.PollAsync(async () =>
        {
            var j = await ops.GetResendJobAsync(new GetResendJobRequest { JobId = job.JobId });
            return j.State == "DONE" && j.InFlight == 0 ? j : null;
        }, "the job to finish", Timeout);
        Assert.Equal(job.Matched, finished.Requeued);
        Assert.Equal(job.Matched, finished.Acknowledged + finished.FailedAgain);
        Assert.True(finished.Acknowledged >= letters, $"{finished.Acknowledged} acknowledged");

        var trail = (await ops.ListAuditTrailAsync(new ListAuditTrailRequest { PageSize = 500 })).Entries.Where(e => e.Subject == job.JobId.ToString()).ToList();
        Assert.Contains(trail, e => e.Action == "outbox.resend_job.start" && e.Result == $"STARTED {job.Matched}");
        Assert.Contains(trail, e => e.Action == "outbox.resend_job.stop" && e.Result.StartsWith("STOPPED at"));
        Assert.Contains(trail, e => e.Action == "outbox.resend_job.stop" && e.Result == "REFUSED RESEND_JOB_NOT_RUNNING");
        Assert.Contains(trail, e => e.Action == "outbox.resend_job.resume");
        var jobs = await ops.ListResendJobsAsync(new ListResendJobsRequest());
        Assert.Contains(jobs.Jobs, j => j.JobId == job.JobId && j.State == "DONE");

        var nothing = await Assert.ThrowsAsync<RpcException>(() => ops.StartResendJobAsync(new StartResendJobRequest
        {
            CounterpartProvince = "15", Created = range, Operator = "ops-j", Reason = "again",
        }, Key()).ResponseAsync);
        Assert.Equal("NOTHING_TO_RESEND", ErrorDetails.Reason(nothing));
    }
}
