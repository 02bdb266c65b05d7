using Gateway.Contracts.Transfer.V1;

namespace Gateway.ProvinceSimulator;

/// <summary>Counts since start.</summary>
/// <param name="Received">Deliveries read from the stream, repeats included.</param>
/// <param name="Answered">Answers the node accepted, re-sent ones included.</param>
/// <param name="Duplicates">Deliveries of an item id this system had already applied.</param>
/// <param name="AnswerFailures">Items left unanswered for now (node unreachable, refused, or unknown kind).</param>
/// <param name="Subscriptions">Streams the node opened.</param>
/// <param name="Disconnects">Streams that ended or could not be opened; each is followed by a backoff.</param>
public sealed record SimulatorCounters(
    long Received,
    long Answered,
    long Duplicates,
    long AnswerFailures,
    long Subscriptions,
    long Disconnects);

/// <summary>An answer the node accepted.</summary>
/// <param name="Repeat">The answer was re-sent for a redelivered item (same request as the first time).</param>
/// <param name="AlreadyAnswered">The node said it already had this answer.</param>
public sealed record AnsweredWorkItem(WorkItem Item, AnswerWorkItemRequest Answer, bool Repeat, bool AlreadyAnswered)
{
    public string ItemId => Item.ItemId;
    public WorkItemKind Kind => Item.Kind;
}

/// <summary>The destination was told the origin returned its contact letter.</summary>
public sealed record ReturnedLetterNotice(string ItemId, string TransferId, string Certno, string ReasonCode, string Reason);
