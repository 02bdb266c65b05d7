using Gateway.Contracts.Ops.V1;
using Gateway.Node.Application;
using Gateway.Node.Infrastructure;
using Gateway.Storage;
using Google.Protobuf;
using MessageLogEntry = Gateway.Contracts.Ops.V1.MessageLogEntry;

namespace Gateway.Node.Ops;

/// <summary>Sealed message log entries from a seq on, in seq order (what verify-log recomputes).</summary>
public sealed class ListMessageLogHandler(NodeDatabase db, NodeIdentity node)
{
    public Task<ListMessageLogResponse> HandleAsync(ListMessageLogRequest request, CancellationToken ct)
    {
        var v = new List<(string, string)>();
        var from = MessageLogInput.FromSeq(request.FromSeq, v);
        var size = OpsInput.PageSize(request.PageSize, v);
        OpsInput.ThrowIfAny(v);
        return db.WithConnectionAsync(async (conn, token) =>
        {
            var rows = await MessageLogStore.ReadAsync(conn, from, size + 1, token);
            var response = new ListMessageLogResponse { Province = node.Province, Unsealed = await MessageLogStore.UnsealedCountAsync(conn, token) };
            response.Entries.AddRange(rows.Take(size).Select(Entry));
            if (rows.Count > size) response.NextFromSeq = rows[size].Seq!.Value;
            return response;
        }, ct);
    }

    public static MessageLogEntry Entry(MessageLogRow r) => new()
    {
        Seq = r.Seq!.Value, Kind = r.Kind, MessageId = r.MessageId ?? "", MessageType = r.MessageType ?? "", Sender = r.Sender ?? "",
        Receiver = r.Receiver ?? "", CorrelationId = r.CorrelationId ?? "", Digest = ByteString.CopyFrom(r.Digest), At = OpsInput.Time(r.At),
        Hash = ByteString.CopyFrom(r.Hash ?? []),
    };
}

/// <summary>The chain heads this node signed, from a seq on, in seq order.</summary>
public sealed class ListMessageLogHeadsHandler(NodeDatabase db)
{
    public Task<ListMessageLogHeadsResponse> HandleAsync(ListMessageLogHeadsRequest request, CancellationToken ct)
    {
        var v = new List<(string, string)>();
        var from = MessageLogInput.FromSeq(request.FromSeq, v);
        var size = OpsInput.PageSize(request.PageSize, v);
        OpsInput.ThrowIfAny(v);
        return db.WithConnectionAsync(async (conn, token) =>
        {
            var heads = await MessageLogStore.HeadsAsync(conn, from, size + 1, token);
            var response = new ListMessageLogHeadsResponse();
            response.Heads.AddRange(heads.Take(size).Select(Head));
            if (heads.Count > size) response.NextFromSeq = heads[size].Seq;
            return response;
        }, ct);
    }

    public static Contracts.Ops.V1.MessageLogHead Head(Storage.MessageLogHead h) => new()
    {
        Seq = h.Seq, Hash = ByteString.CopyFrom(h.Hash), SignedAt = OpsInput.Time(h.SignedAt), Province = h.Province, KeyId = h.KeyId,
        Algorithm = h.Algorithm, Signature = ByteString.CopyFrom(h.Signature),
    };
}

/// <summary>
/// One exchange's sealed entries with the envelopes they are about, and the signed head that covers the last of them:
/// what an auditor hands the other province (docs/security.md, "Exporting one exchange").
/// </summary>
public sealed class ExportExchangeLogHandler(NodeDatabase db, NodeIdentity node)
{
    public const int MaxEntries = 1_000;

    public Task<ExportExchangeLogResponse> HandleAsync(ExportExchangeLogRequest request, CancellationToken ct)
    {
        var v = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(request.CorrelationId)) v.Add(("correlation_id", "Name the exchange (a transfer id or a record id)."));
        else if (request.CorrelationId.Length > 64 || request.CorrelationId.Any(char.IsControl))
            v.Add(("correlation_id", "At most 64 characters, no control characters."));
        OpsInput.ThrowIfAny(v);
        return db.WithConnectionAsync(async (conn, token) =>
        {
            var rows = await MessageLogStore.ExchangeAsync(conn, request.CorrelationId, MaxEntries + 1, token);
            var unsealed = await MessageLogStore.UnsealedCountAsync(conn, request.CorrelationId, token);
            if (rows.Count == 0 && unsealed == 0)
                throw new NotFoundException($"The message log has no entry for exchange {request.CorrelationId}.");
            var response = new ExportExchangeLogResponse
            {
                Province = node.Province, CorrelationId = request.CorrelationId, Unsealed = unsealed, Truncated = rows.Count > MaxEntries,
            };
            response.Entries.AddRange(rows.Take(MaxEntries).Select(r => new ExportedLogEntry
            {
                Entry = ListMessageLogHandler.Entry(r.Entry), PreviousHash = ByteString.CopyFrom(r.PreviousHash),
                Envelope = r.Envelope is null ? ByteString.Empty : ByteString.CopyFrom(r.Envelope),
            }));
            if (response.Entries.Count > 0 && await MessageLogStore.HeadCoveringAsync(conn, response.Entries[^1].Entry.Seq, token) is { } h)
                response.CoveringHead = ListMessageLogHeadsHandler.Head(h);
            return response;
        }, ct);
    }
}

internal static class MessageLogInput
{
    public static long FromSeq(long fromSeq, List<(string, string)> violations)
    {
        if (fromSeq < 0) violations.Add(("from_seq", "0 or more (0 and 1 both start at the first entry)."));
        return Math.Max(fromSeq, 1);
    }
}
