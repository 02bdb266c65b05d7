namespace Gateway.Benchmarks;

/// <summary>
/// What one transfer does, counted from the stage table (docs/benchmarks.md, "What runs, and against what") and the
/// handlers behind each stage; the baselines multiply a raw Kafka round trip and a durable commit by these counts.
/// The single-transfer phase measures the same counts from the rows it leaves and prints both, so a change to the
/// path shows up as a mismatch instead of a silently wrong baseline.
/// </summary>
public static class TransferPath
{
    // Envelopes on the critical path, one after another: ContactLetterSent (destination → origin),
    // InformationTableSent (origin → destination), TransferCompleted (destination → origin).
    public const int PathEnvelopes = 3;

    // One Receipt back for each of them (its own inbox batch when nothing else is in flight); off the critical path.
    public const int Receipts = 3;

    // Durable commits on the critical path, in order:
    //   1 SubmitApplication call (destination; the certificate is issued beforehand in the single phase),
    //   3 inbox batches applying the letter (origin), the table (destination), the completion (origin),
    //   3 work-item answers: CheckOriginEnrolment, BuildInformationTable (origin), CreditBalance (destination).
    public const int PathCallCommits = 1;
    public const int PathInboxCommits = 3;
    public const int PathAnswerCommits = 3;
    public const int PathCommits = PathCallCommits + PathInboxCommits + PathAnswerCommits;

    // Everything one transfer commits when nothing is batched, which is what a burst must get through:
    //   2 calls (IssueCertificate, SubmitApplication), 6 inbox batches (3 envelopes + 3 receipts),
    //   4 work-item answers (the 3 above + CloseOriginRecord after the acknowledgement).
    // Bookkeeping commits that batch under load (the relay's claim and published marks, work-item delivery marks) are left out.
    public const int BurstCommits = 2 + PathEnvelopes + Receipts + 4;

    /// <summary>"3 envelopes, 7 commits (1 call, 3 inbox, 3 answers)": what the baselines assume.</summary>
    public static string Describe() =>
        $"{PathEnvelopes} Kafka hops (+{Receipts} receipts off the path), {PathCommits} durable commits ({PathCallCommits} call, {PathInboxCommits} inbox batches, {PathAnswerCommits} work-item answers)";
}

/// <summary>The same counts as measured from one phase's rows, per completed transfer.</summary>
public sealed record PathCounts(double Envelopes, double Receipts, double InboxTransactions, double AnswersBeforeEnd, double Answers)
{
    public static PathCounts Empty { get; } = new(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
}
