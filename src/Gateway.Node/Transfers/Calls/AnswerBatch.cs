using Gateway.Contracts.Transfer.V1;
using Gateway.Node.Idempotency;
using Gateway.Node.Infrastructure;
using Gateway.Node.Exchange;
using Gateway.Storage;

namespace Gateway.Node.Transfers.Calls;

/// <summary>One answer as the stream hands it over: its own idempotency key and the answer itself.</summary>
public sealed record KeyedWorkItemAnswer(string IdempotencyKey, AnswerWorkItemRequest Request);

/// <summary>What became of one answer: the response it committed (or replayed), or the failure that stopped it alone.</summary>
public sealed record AnswerOutcome(AnswerWorkItemResponse? Response, Exception? Error);

/// <summary>
/// Applies many work-item answers in one durable transaction, each through <see cref="AnswerWorkItemHandler"/> under its own
/// key (<see cref="StreamAnswerIdempotency"/>) and its own savepoint, so a bad answer rolls back alone and the others commit.
/// Outcomes are returned only after the commit. Answers that lost a race (a deadlock, a concurrent update, a key stored
/// meanwhile) are run again in a following transaction rather than failed.
/// </summary>
public sealed class AnswerBatch(
    NodeDatabase db,
    AnswerWorkItemHandler handler,
    StreamAnswerIdempotency idempotency,
    OutboxHandOff outbox,
    WorkItemSignal workItems,
    ILogger<AnswerBatch> logger)
{
    /// <summary>Most answers one transaction takes; the stream collects up to this many.</summary>
    public const int MaxAnswers = 64;

    /// <summary>How long the stream waits for more answers once one arrived and the batch is not full.</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(2);

    // A lost race runs again in a fresh transaction; the third loss is reported (ABORTED: send again, same key).
    private const int MaxRounds = 3;
    private const string Savepoint = "answer";

    public async Task<IReadOnlyList<AnswerOutcome>> ApplyAsync(IReadOnlyList<KeyedWorkItemAnswer> answers, CancellationToken ct)
    {
        if (answers.Count > MaxAnswers)
            throw new ArgumentOutOfRangeException(nameof(answers), $"At most {MaxAnswers} answers per batch.");
        var outcomes = new AnswerOutcome?[answers.Count];
        // Item ids start with their transfer id: a stable order keeps two batches from locking transfers crosswise.
        IReadOnlyList<int> todo = Enumerable.Range(0, answers.Count).OrderBy(i => answers[i].Request.ItemId, StringComparer.Ordinal).ToList();
        // The envelopes the answers commit go straight to the producer (publish on the committing path).
        using var capture = OutboxCapture.Begin();
        var handedOff = 0;
        for (var round = 1; todo.Count > 0; round++)
        {
            var last = round == MaxRounds;
            List<int> again = [];
            try
            {
                var applied = await db.InTransactionAsync(async (conn, tx, token) =>
                {
                    // The pipeline may run this again after a failed attempt: start from nothing each time.
                    again = [];
                    var done = new List<(int Index, AnswerOutcome Outcome)>(todo.Count);
                    foreach (var i in todo)
                    {
                        var (key, request) = answers[i];
                        await tx.SaveAsync(Savepoint, token);
                        try
                        {
                            var response = await idempotency.RunAsync(conn, tx, key, request, (c, t, k) => handler.HandleAsync(c, t, request, k), token);
                            await tx.ReleaseAsync(Savepoint, token);
                            done.Add((i, new AnswerOutcome(response, null)));
                        }
                        catch (Exception ex) when (!token.IsCancellationRequested)
                        {
                            // If even this fails the transaction is unusable (connection, server): the whole batch fails.
                            await tx.RollbackAsync(Savepoint, token);
                            if (IsLostRace(ex) && !last)
                                again.Add(i);
                            else
                                done.Add((i, new AnswerOutcome(null, ex)));
                        }
                    }
                    return done;
                }, ct);
                foreach (var (i, outcome) in applied) outcomes[i] = outcome;
                outbox.Offer(capture.Capture.Committed.Skip(handedOff).ToList());
                handedOff = capture.Capture.Committed.Count;
                if (applied.Any(a => a.Outcome.Response is not null)) workItems.Notify();
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                // Nothing of this transaction is known to have committed; each answer hears the node's failure and may
                // be sent again with its key (a commit that did land replays).
                logger.LogWarning(ex, "A batch of {Count} work-item answers failed as a whole", todo.Count);
                foreach (var i in todo) outcomes[i] = new AnswerOutcome(null, ex);
                again = [];
            }
            if (again.Count > 0)
                logger.LogInformation("{Count} work-item answer(s) lost a race with another transaction; running them again", again.Count);
            todo = again;
        }
        return outcomes.Select(o => o!).ToList();
    }

    private static bool IsLostRace(Exception ex) =>
        ex is StoreConflictException or KeyStoredMeanwhileException
        || ex is Npgsql.PostgresException { SqlState: TransientErrors.DeadlockDetected or TransientErrors.SerializationFailure };
}
