using Gateway.Domain.Transfers;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Transfers;

/// <summary>Walks the whole state machine: every legal path, and every refused (role, state, event).</summary>
public class TransferStateMachineTests
{
    private static readonly ProvinceCode Origin = new("15"), Destination = new("51");
    private static readonly DateOnly Day0 = new(2026, 3, 2);
    private static readonly Money Balance = new(123_456);

    private static readonly string[] ExpectedPaths =
    [
        "Destination: Accepted > Withdrawn",
        "Destination: Accepted > WithdrawalRequested > Withdrawn",
        "Destination: Accepted > LetterSent > WithdrawalRequested > Withdrawn",
        "Destination: Accepted > LetterSent > WithdrawalRequested > LetterReturned",
        "Destination: Accepted > LetterSent > WithdrawalRequested > InfoTableSent > Completed",
        "Destination: Accepted > LetterSent > LetterReturned",
        "Destination: Accepted > LetterSent > InfoTableSent > Completed",
        "Origin: LetterSent > Withdrawn",
        "Origin: LetterSent > LetterReturned",
        "Origin: LetterSent > InfoTableSent > Completed > Acknowledged",
    ];

    internal static void Apply(Transfer t, TransferEvent e, DateOnly on)
    {
        switch (e)
        {
            case TransferEvent.SendLetter: t.SendLetter(on); break;
            case TransferEvent.RequestWithdrawal: t.RequestWithdrawal(on); break;
            case TransferEvent.Withdraw: t.Withdraw(on); break;
            case TransferEvent.ReturnLetter: t.ReturnLetter(ReturnReason.PersonNotSuspended, "still active at origin", on); break;
            case TransferEvent.SendInfoTable: t.SendInfoTable(Balance, Balance, on); break;
            case TransferEvent.Complete: t.Complete(Balance, on); break;
            case TransferEvent.Acknowledge: t.Acknowledge(on); break;
            default: throw new ArgumentOutOfRangeException(nameof(e));
        }
    }

    private static Transfer Clone(Transfer t) => Transfer.Restore(t.ToSnapshot());

    private static IEnumerable<Transfer> Starts() =>
    [
        Transfer.Accept("T-1", Origin, Destination, Day0),
        Transfer.ReceiveLetter("T-1", Origin, Destination, Day0, acceptedOn: Day0, letterSentOn: Day0),
    ];

    /// <summary>Depth-first walk; calls back for every path end and every refused event.</summary>
    private static void Walk(Transfer t, List<TransferState> path, Action<Transfer, List<TransferState>> onEnd,
        Action<Transfer, TransferEvent, DomainRuleException> onRefused, Action<Transfer>? onVisit = null)
    {
        onVisit?.Invoke(t);
        var moved = false;
        foreach (var e in Enum.GetValues<TransferEvent>())
        {
            var copy = Clone(t);
            var on = Day0.AddDays(path.Count);
            if (copy.Check(e) is null)
            {
                Apply(copy, e, on);
                moved = true;
                Walk(copy, [.. path, copy.State], onEnd, onRefused, onVisit);
            }
            else
            {
                var before = copy.ToSnapshot();
                var ex = Assert.Throws<DomainRuleException>(() => Apply(copy, e, on));
                Assert.Equal(before, copy.ToSnapshot()); // a refused event changes nothing
                onRefused(copy, e, ex);
            }
        }
        if (!moved) onEnd(t, path);
    }

    [Fact]
    public void Every_legal_path_is_walked_and_ends_in_a_terminal_state_of_its_role()
    {
        var paths = new List<string>();
        foreach (var start in Starts())
            Walk(start, [start.State],
                (t, path) =>
                {
                    Assert.True(t.IsTerminal, $"dead end in non-terminal {t.Role}/{t.State}");
                    paths.Add($"{t.Role}: {string.Join(" > ", path)}");
                },
                (_, _, _) => { });

        Assert.Equal(ExpectedPaths.Order(), paths.Order());
    }

    [Fact]
    public void Every_illegal_state_event_pair_is_refused_with_its_reason_code()
    {
        var refused = new List<(TransferRole, TransferState, TransferEvent, string)>();
        foreach (var start in Starts())
            Walk(start, [start.State], (_, _) => { }, (t, e, ex) =>
            {
                Assert.Equal(t.Check(e)!.Reason, ex.Reason);
                Assert.False(string.IsNullOrWhiteSpace(ex.Message));
                Assert.Equal(ExpectedReason(t, e), ex.Reason);
                refused.Add((t.Role, t.State, e, ex.Reason));
            });

        var pairs = refused.Select(r => (r.Item1, r.Item2, r.Item3)).Distinct().ToList();
        Assert.True(pairs.Count >= 40, $"only {pairs.Count} refused pairs were exercised");
        // Every reachable terminal state refuses every event.
        foreach (var (role, state) in new[] {
            (TransferRole.Destination, TransferState.Completed), (TransferRole.Destination, TransferState.Withdrawn),
            (TransferRole.Destination, TransferState.LetterReturned), (TransferRole.Origin, TransferState.Acknowledged),
            (TransferRole.Origin, TransferState.Withdrawn), (TransferRole.Origin, TransferState.LetterReturned) })
            Assert.Equal(7, pairs.Count(p => p.Item1 == role && p.Item2 == state));
    }

    /// <summary>The refusal table as the protocol states it.</summary>
    private static string ExpectedReason(Transfer t, TransferEvent e)
    {
        var destination = t.Role == TransferRole.Destination;
        var acted = t.State is TransferState.InfoTableSent or TransferState.LetterReturned or TransferState.Completed or TransferState.Acknowledged;
        return e switch
        {
            TransferEvent.SendLetter or TransferEvent.RequestWithdrawal when !destination => ReasonCodes.WrongRole,
            TransferEvent.Acknowledge when destination => ReasonCodes.WrongRole,
            TransferEvent.Withdraw or TransferEvent.RequestWithdrawal when acted => ReasonCodes.OriginAlreadyActed,
            TransferEvent.Withdraw when destination && t.State == TransferState.LetterSent => ReasonCodes.OriginConfirmationRequired,
            _ => ReasonCodes.IllegalTransition,
        };
    }

    [Fact]
    public void Every_reachable_transfer_survives_a_store_and_restore_round_trip()
    {
        var visited = 0;
        foreach (var start in Starts())
            Walk(start, [start.State], (_, _) => { }, (_, _, _) => { }, t =>
            {
                var restored = Transfer.Restore(t.ToSnapshot());
                Assert.Equal(t.ToSnapshot(), restored.ToSnapshot());
                Assert.Equal(t.Timeline, restored.Timeline);
                Assert.Equal(t.IsTerminal, restored.IsTerminal);
                visited++;
            });
        Assert.Equal(19, visited); // 13 destination and 6 origin nodes in the path tree
    }

    [Theory]
    [InlineData(TransferState.InfoTableSent)]
    [InlineData(TransferState.LetterReturned)]
    public void Withdrawal_after_the_origin_acted_is_refused_with_ORIGIN_ALREADY_ACTED(TransferState acted)
    {
        foreach (var t in Starts())
        {
            if (t.Role == TransferRole.Destination) t.SendLetter(Day0);
            Apply(t, acted == TransferState.InfoTableSent ? TransferEvent.SendInfoTable : TransferEvent.ReturnLetter, Day0.AddDays(1));
            var ex = Assert.Throws<DomainRuleException>(() => t.Withdraw(Day0.AddDays(2)));
            Assert.Equal(ReasonCodes.OriginAlreadyActed, ex.Reason);
            Assert.Equal(acted, t.State);
        }
    }
}
