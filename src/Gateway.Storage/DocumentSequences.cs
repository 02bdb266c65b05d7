using Npgsql;
using NpgsqlTypes;

namespace Gateway.Storage;

/// <summary>
/// Document numbers from one PostgreSQL SEQUENCE per (kind, pooling region, year) (migration 0006).
/// <c>nextval</c> takes no row lock, so calls of one region never wait for each other's commit; a number
/// taken by a call that rolls back is skipped, never reused (gaps are allowed: seeds/README.md).
/// </summary>
public static class DocumentSequences
{
    /// <summary>The highest sequence a printed number can hold (第 XXXXX 号); migration 0006 sets it as each sequence's MAXVALUE.</summary>
    public const int MaxValue = Gateway.Domain.Documents.DocumentNumber.MaxSequence;

    /// <summary>SQLSTATE of <c>nextval</c> past the sequence's maximum.</summary>
    public const string LimitExceeded = "2200H";

    /// <summary>
    /// Creates the sequence when it is missing, in its own autocommit statement so its catalogue row is visible to
    /// every call at once. Safe when several callers race: the losers find it created.
    /// </summary>
    public static async Task EnsureAsync(NpgsqlConnection conn, string kind, string region, int year, CancellationToken ct = default)
    {
        Check(kind, region, year);
        await using var cmd = SqlHelpers.Command(conn, null, "SELECT ensure_document_sequence(@kind, @region, @year)")
            .With("kind", NpgsqlDbType.Text, kind)
            .With("region", NpgsqlDbType.Text, region)
            .With("year", NpgsqlDbType.Integer, year);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The next number of an existing sequence, inside the caller's transaction (one round trip, no lock held).
    /// Throws <see cref="PostgresException"/> with <see cref="LimitExceeded"/> when the year's numbers are used up,
    /// and with 42P01 (undefined table) when <see cref="EnsureAsync"/> was not called first.
    /// </summary>
    public static async Task<int> NextAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string kind, string region, int year, CancellationToken ct = default)
    {
        Check(kind, region, year);
        // The name is built from checked parts and passed as a value; regclass resolves it, nothing is spliced into SQL.
        await using var cmd = SqlHelpers.Command(conn, tx, "SELECT nextval(@name::regclass)")
            .With("name", NpgsqlDbType.Text, SequenceName(kind, region, year));
        return checked((int)(long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!);
    }

    /// <summary>Same name as the SQL function document_sequence_name: document_seq_&lt;kind&gt;_&lt;region&gt;_&lt;year&gt;.</summary>
    public static string SequenceName(string kind, string region, int year)
    {
        Check(kind, region, year);
        return $"document_seq_{kind}_{region}_{year:0000}";
    }

    private static void Check(string kind, string region, int year)
    {
        if (kind is not { Length: >= 1 and <= 20 } || !kind.All(char.IsAsciiLetterLower))
            throw new ArgumentException("A document kind is 1 to 20 lower-case letters.", nameof(kind));
        if (region is not { Length: 6 } || !region.All(char.IsAsciiDigit))
            throw new ArgumentException("A pooling region is six digits.", nameof(region));
        if (year is < 1990 or > 9999)
            throw new ArgumentOutOfRangeException(nameof(year), year, "Year must be 1990..9999.");
    }
}
