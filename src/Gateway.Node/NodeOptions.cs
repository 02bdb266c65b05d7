namespace Gateway.Node;

/// <summary>Settings of one province node (section "Gateway").</summary>
public sealed class NodeOptions
{
    public const string Section = "Gateway";

    /// <summary>Two-digit code of the province this node serves, e.g. "15".</summary>
    public string Province { get; set; } = "";

    /// <summary>How long an idempotency key is remembered.</summary>
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Re-send schedule for envelopes that wait for a receipt.</summary>
    /// <remarks>Defaults: 30 s, doubling to 10 min, 60 sends (about nine and a half hours) before operators are asked.</remarks>
    public TimeSpan ResendFirstDelay { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan ResendMaxDelay { get; set; } = TimeSpan.FromMinutes(10);
    public int ResendBudget { get; set; } = 60;

    /// <summary>Fallback poll of the outbox when no commit signalled it.</summary>
    public TimeSpan OutboxPollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often a paced re-send job re-queues its next envelopes (per_second × tick at a time).</summary>
    public TimeSpan ResendJobTick { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long a work item sent to the province system may stay unanswered before it is sent again on an open
    /// stream (setting "Gateway:WorkItemRedeliveryTimeout"). A new subscription always gets every unanswered item
    /// at once; this covers an item lost on a stream that stays open. The province system answers a repeated item
    /// with its first answer, so a short timeout costs only traffic; it should exceed the time the province takes
    /// to answer, clerk decisions included. Default 5 minutes; values below one second count as one second.
    /// </summary>
    public TimeSpan WorkItemRedeliveryTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Default of <see cref="MaxConcurrentCalls"/>: 8 per core (a call mostly waits on the database, not the CPU).</summary>
    public static int DefaultMaxConcurrentCalls => 8 * Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// Mutating calls (start calls, batches, withdrawals) that run at once ("Gateway:MaxConcurrentCalls"); 0 means
    /// <see cref="DefaultMaxConcurrentCalls"/>. Each holds a database connection until its commit, so keep it below the
    /// pool size (Storage: 10 × cores + 10 unless the connection string sets Maximum Pool Size).
    /// </summary>
    public int MaxConcurrentCalls { get; set; }

    /// <summary>How long a call over the bound waits for a slot before RESOURCE_EXHAUSTED ("Gateway:AdmissionWait"); also its RetryInfo delay (at least 100 ms).</summary>
    public TimeSpan AdmissionWait { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Largest number of envelopes applied in one database transaction.</summary>
    public int InboxBatchSize { get; set; } = 200;

    /// <summary>Offset of the business calendar's day from UTC (China Standard Time).</summary>
    public TimeSpan BusinessUtcOffset { get; set; } = TimeSpan.FromHours(8);

    /// <summary>
    /// This region's waiting period (待遇享受等待期) in months after a gap of more than 3 months, 0..6 (seed 002 notes 6–7
    /// cap it at 6; each pooling region sets its own). Default 6: the ceiling, until the province configures its rule.
    /// </summary>
    public int WaitingPeriodMonths { get; set; } = 6;

    /// <summary>
    /// A node that starts on a new (or wiped) database asks every other member of the exchange for the records that
    /// concern it ("Gateway:BackfillOnNewDatabase", default true). Operators can start one at any time with StartBackfill.
    /// </summary>
    public bool BackfillOnNewDatabase { get; set; } = true;

    /// <summary>Records a backfill asks each owner for per page ("Gateway:BackfillPageRecords", 1..1000, default 500); owners also cap a page at 600 KiB.</summary>
    public int BackfillPageRecords { get; set; } = Sync.Backfill.BackfillLimits.DefaultRecordsPerPage;

    /// <summary>Person-key slices a backfill pages side by side per owner and kind ("Gateway:BackfillSlices": 1, 2, 4, 8 or 16; default 4).</summary>
    public int BackfillSlices { get; set; } = Sync.Backfill.BackfillLimits.DefaultSlices;

    /// <summary>Folder with extra calendar years (operators drop a new year here without a rebuild).</summary>
    public string? CalendarDirectory { get; set; }
}
