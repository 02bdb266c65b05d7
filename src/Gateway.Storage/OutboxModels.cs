namespace Gateway.Storage;

/// <summary>An envelope to publish after the current transaction commits. Ids are deterministic, so enqueueing twice is harmless.</summary>
/// <param name="Log">The message log's "sent" entry, appended with the row (only when the row is new).</param>
public sealed record OutboxMessage(
    string MessageId,
    string MessageType,
    string Receiver,
    string Topic,
    string Key,
    byte[] Payload,
    string? CorrelationId,
    bool NeedsReceipt,
    MessageLogEntry? Log = null);

public enum OutboxStatus
{
    /// <summary>Not sent yet.</summary>
    Pending,
    /// <summary>Sent; re-sent with backoff until the receiver's receipt arrives.</summary>
    AwaitingReceipt,
    /// <summary>The receiver's receipt arrived.</summary>
    Delivered,
    /// <summary>Sent, and no receipt is expected (receipts themselves).</summary>
    Published,
    /// <summary>Retry budget used up; waits for an operator.</summary>
    Failed,
}

public sealed record OutboxRow(
    long Id,
    string MessageId,
    string MessageType,
    string Receiver,
    string Topic,
    string Key,
    byte[] Payload,
    string? CorrelationId,
    bool NeedsReceipt,
    OutboxStatus Status,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastPublishedAt,
    DateTimeOffset? ReceiptAt,
    string? LastError);

/// <summary>One line of an outbox message's history (published, publish_failed, receipt, failed, requeued).</summary>
public sealed record OutboxAttempt(string MessageId, int Attempt, DateTimeOffset At, string Outcome, string? Error);

/// <summary>Operator listing filter; pages by id, newest first.</summary>
public sealed record OutboxQuery(
    OutboxStatus? Status = null,
    string? CorrelationId = null,
    long? BeforeId = null,
    int Limit = 50);

public sealed record OutboxPage(IReadOnlyList<OutboxRow> Rows, long? NextBeforeId);

internal static class OutboxStatusText
{
    public static string ToDb(this OutboxStatus status) => status switch
    {
        OutboxStatus.Pending => "pending",
        OutboxStatus.AwaitingReceipt => "awaiting_receipt",
        OutboxStatus.Delivered => "delivered",
        OutboxStatus.Published => "published",
        OutboxStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static OutboxStatus Parse(string text) => text switch
    {
        "pending" => OutboxStatus.Pending,
        "awaiting_receipt" => OutboxStatus.AwaitingReceipt,
        "delivered" => OutboxStatus.Delivered,
        "published" => OutboxStatus.Published,
        "failed" => OutboxStatus.Failed,
        _ => throw new InvalidOperationException($"Unknown outbox status '{text}'."),
    };
}
