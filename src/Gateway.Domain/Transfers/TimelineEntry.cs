namespace Gateway.Domain.Transfers;

/// <summary>One recorded event of a transfer, for display.</summary>
/// <param name="Event">Short event name, e.g. "LetterSent", "InfoTableReceived".</param>
/// <param name="Detail">Amounts or return reason where the event carries them.</param>
public sealed record TimelineEntry(DateOnly On, string Event, string? Detail = null);
