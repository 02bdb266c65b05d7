using System.Collections.Concurrent;
using Gateway.Domain.Documents;
using Gateway.Domain.Values;
using Gateway.Node.Application;
using Gateway.Storage;
using Npgsql;

namespace Gateway.Node.Transfers;

/// <summary>
/// Numbers the documents this node issues from a PostgreSQL sequence per (kind, pooling region, year).
/// Taking a number locks nothing, so calls of one region run side by side; a call that rolls back leaves
/// its number unused (a gap: allowed, see seeds/README.md). The sequence is created on first use in its own
/// autocommit statement, once per process and sequence, before the caller's transaction takes a number.
/// </summary>
public sealed class DocumentNumbers(NodeDatabase db)
{
    // Sequences known to exist; the task is shared so concurrent first users create it once.
    private readonly ConcurrentDictionary<string, Lazy<Task>> _ensured = new(StringComparer.Ordinal);

    public async Task<DocumentNumber> NextAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string kind, DivisionCode region, int year, CancellationToken ct)
    {
        var name = DocumentSequences.SequenceName(kind, region.Value, year);
        var ensured = _ensured.GetOrAdd(name, _ => new Lazy<Task>(() => EnsureAsync(kind, region.Value, year)));
        try
        {
            await ensured.Value.WaitAsync(ct);
        }
        catch when (!ct.IsCancellationRequested)
        {
            // A failed creation is not remembered: the next call tries again.
            _ensured.TryRemove(new KeyValuePair<string, Lazy<Task>>(name, ensured));
            throw;
        }

        int sequence;
        try
        {
            sequence = await DocumentSequences.NextAsync(conn, tx, kind, region.Value, year, ct);
        }
        catch (PostgresException ex) when (ex.SqlState == DocumentSequences.LimitExceeded)
        {
            throw new RefusedException("DOCUMENT_NUMBERS_EXHAUSTED",
                $"All {DocumentNumber.MaxSequence:N0} {kind} numbers of pooling region {region.Value} for {year} are used; the printed number has five digits.",
                new Dictionary<string, string> { ["kind"] = kind, ["region"] = region.Value, ["year"] = year.ToString() });
        }
        return DocumentNumber.Create(region, year, sequence);
    }

    // Not under the caller's token: other calls may be waiting for the same creation.
    private Task EnsureAsync(string kind, string region, int year) =>
        db.WithConnectionAsync(async (conn, token) =>
        {
            await DocumentSequences.EnsureAsync(conn, kind, region, year, token);
            return true;
        });
}
