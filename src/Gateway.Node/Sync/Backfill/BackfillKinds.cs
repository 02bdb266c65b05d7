using Gateway.Storage;
using Google.Protobuf;
using Npgsql;

namespace Gateway.Node.Sync.Backfill;

/// <summary>One page an owner sends: records after the cursor, the cursor to continue from, and whether it was the last.</summary>
public sealed record BackfillSourcePage(IReadOnlyList<ByteString> Records, string NextCursor, bool Last)
{
    /// <summary>
    /// A page from rows read in cursor order, one more than <paramref name="maxRecords"/> when there are more: records are
    /// added until the count or the byte budget is reached, and the page is the last only when every row read fitted.
    /// </summary>
    public static BackfillSourcePage From<TRow>(IReadOnlyList<TRow> rows, BackfillCursor after, int maxRecords, int maxBytes,
        Func<TRow, ByteString> record, Func<TRow, BackfillCursor> cursorOf)
    {
        var records = new List<ByteString>();
        var bytes = 0;
        var cursor = after.ToString();
        foreach (var row in rows.Take(maxRecords))
        {
            var next = record(row);
            if (records.Count > 0 && bytes + next.Length > maxBytes) break;
            records.Add(next);
            bytes += next.Length;
            cursor = cursorOf(row).ToString();
        }
        return new BackfillSourcePage(records, cursor, Last: records.Count == rows.Count);
    }
}

/// <summary>
/// The owner's side of one kind of record: the current version of every record of this kind that concerns
/// <c>requester</c> (filings for care there, enrolment records it indexes), in a stable order from a cursor.
/// </summary>
public interface IBackfillSource
{
    string Kind { get; }

    /// <param name="range">The slice of person keys this page belongs to.</param>
    /// <param name="maxBytes">Stop before the page's records pass this size, so the page fits one envelope.</param>
    Task<BackfillSourcePage> ReadPageAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string requester, PersonKeyRange range,
        BackfillCursor after, int maxRecords, int maxBytes, CancellationToken ct);
}

/// <summary>
/// The requester's side: applies a page of one owner's records version-guarded, with the same trust rules as a live
/// change (the owner must own each record, and each must concern this node). Returns how many changed a row here.
/// </summary>
public interface IBackfillSink
{
    string Kind { get; }

    Task<int> ApplyPageAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string ownerProvince, IReadOnlyList<ByteString> records,
        CancellationToken ct);
}

/// <summary>Where a slice's paging stands: the last (person key, record id) sent; empty at the start. Opaque to the requester.</summary>
public readonly record struct BackfillCursor(string PersonKey, string RecordId)
{
    public static readonly BackfillCursor Start = new("", "");

    public override string ToString() => PersonKey.Length == 0 && RecordId.Length == 0 ? "" : $"{PersonKey}|{RecordId}";

    /// <summary>The cursor the owner wrote, or null when the text is not one (a poison request).</summary>
    public static BackfillCursor? Parse(string text)
    {
        if (text.Length == 0) return Start;
        var bar = text.IndexOf('|');
        return bar > 0 && bar < text.Length - 1 ? new BackfillCursor(text[..bar], text[(bar + 1)..]) : null;
    }
}

public static class BackfillLimits
{
    /// <summary>Person-key slices a run pages side by side per owner and kind ("Gateway:BackfillSlices": 1, 2, 4, 8 or 16).</summary>
    public const int DefaultSlices = 4;

    /// <summary>Records per page when the request names none, and the most a page may carry.</summary>
    public const int DefaultRecordsPerPage = 500;
    public const int MaxRecordsPerPage = 1_000;

    /// <summary>Record bytes per page: well inside the envelope limit, with room for the envelope around them.</summary>
    public const int MaxPageBytes = 600 * 1024;

    public const int MaxCursorLength = 200;
}
