using Npgsql;

namespace Gateway.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class DocumentSequencesTests(PostgresFixture fixture) : DatabaseTest(fixture, "docseq")
{
    private static int _year = 1990;

    // Sequences outlive the per-test truncation, so each test numbers its own year.
    private static int NewYear() => Interlocked.Increment(ref _year);

    private Task<int> NextAsync(string kind, string region, int year) =>
        Db.InTransactionAsync((c, t, ct) => DocumentSequences.NextAsync(c, t, kind, region, year, ct));

    private Task EnsureAsync(string kind, string region, int year) =>
        Db.WithConnectionAsync(async (c, ct) => { await DocumentSequences.EnsureAsync(c, kind, region, year, ct); return true; });

    [Fact]
    public async Task Concurrent_callers_that_create_and_use_one_sequence_get_distinct_numbers_from_one()
    {
        var year = NewYear();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => EnsureAsync("certificate", "150100", year)));

        var numbers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => NextAsync("certificate", "150100", year)));

        Assert.Equal(Enumerable.Range(1, 40), numbers.Order());
    }

    [Fact]
    public async Task Taking_a_number_does_not_wait_for_another_open_transaction_of_the_same_region()
    {
        var year = NewYear();
        await EnsureAsync("letter", "510600", year);
        await using var conn = await Db.DataSource.OpenConnectionAsync();
        await using var open = await conn.BeginTransactionAsync();
        Assert.Equal(1, await DocumentSequences.NextAsync(conn, open, "letter", "510600", year));

        var second = await NextAsync("letter", "510600", year).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, second);
        await open.RollbackAsync();
    }

    [Fact]
    public async Task A_rolled_back_number_is_skipped_never_reused()
    {
        var year = NewYear();
        await EnsureAsync("application", "640100", year);
        await using (var conn = await Db.DataSource.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            Assert.Equal(1, await DocumentSequences.NextAsync(conn, tx, "application", "640100", year));
            await tx.RollbackAsync();
        }

        Assert.Equal(2, await NextAsync("application", "640100", year));
    }

    [Fact]
    public async Task Kinds_regions_and_years_number_independently()
    {
        var year = NewYear();
        foreach (var (kind, region, y) in new[] { ("certificate", "150100", year), ("letter", "150100", year), ("certificate", "150200", year), ("certificate", "150100", year + 1000) })
        {
            await EnsureAsync(kind, region, y);
            Assert.Equal(1, await NextAsync(kind, region, y));
        }
    }

    [Fact]
    public async Task A_new_sequence_continues_after_the_numbers_the_old_table_issued()
    {
        var year = NewYear();
        await Db.WithConnectionAsync(async (c, ct) =>
        {
            await using var cmd = new NpgsqlCommand("INSERT INTO certificate_sequences (region, year, last_no) VALUES ('certificate:150100', @y, 41)", c);
            cmd.Parameters.AddWithValue("y", year);
            return await cmd.ExecuteNonQueryAsync(ct);
        });

        await EnsureAsync("certificate", "150100", year);

        Assert.Equal(42, await NextAsync("certificate", "150100", year));
    }

    [Fact]
    public async Task Past_the_printed_maximum_the_sequence_fails_instead_of_wrapping()
    {
        var year = NewYear();
        await EnsureAsync("certificate", "150100", year);
        await Db.WithConnectionAsync(async (c, ct) =>
        {
            await using var cmd = new NpgsqlCommand("SELECT setval(@name::regclass, @max)", c);
            cmd.Parameters.AddWithValue("name", DocumentSequences.SequenceName("certificate", "150100", year));
            cmd.Parameters.AddWithValue("max", (long)DocumentSequences.MaxValue);
            return await cmd.ExecuteScalarAsync(ct);
        });

        var ex = await Assert.ThrowsAsync<PostgresException>(() => NextAsync("certificate", "150100", year));

        Assert.Equal(DocumentSequences.LimitExceeded, ex.SqlState);
    }

    [Theory]
    [InlineData("Certificate", "150100", 2026)]
    [InlineData("cert;drop", "150100", 2026)]
    [InlineData("certificate", "15010x", 2026)]
    [InlineData("certificate", "150100", 1989)]
    public async Task Names_are_built_only_from_checked_parts(string kind, string region, int year)
    {
        Assert.ThrowsAny<ArgumentException>(() => DocumentSequences.SequenceName(kind, region, year));
        // The database function refuses the same parts on its own.
        var ex = await Assert.ThrowsAsync<PostgresException>(() => Db.WithConnectionAsync(async (c, ct) =>
        {
            await using var cmd = new NpgsqlCommand("SELECT ensure_document_sequence(@k, @r, @y)", c);
            cmd.Parameters.AddWithValue("k", kind);
            cmd.Parameters.AddWithValue("r", region);
            cmd.Parameters.AddWithValue("y", year);
            return await cmd.ExecuteScalarAsync(ct);
        }));
        Assert.Equal("22023", ex.SqlState);
    }

    [Fact]
    public async Task The_used_numbers_view_shows_the_last_number_per_sequence()
    {
        var year = NewYear();
        await EnsureAsync("certificate", "150300", year);
        await NextAsync("certificate", "150300", year);
        await NextAsync("certificate", "150300", year);

        var last = await Db.WithConnectionAsync(async (c, ct) =>
        {
            await using var cmd = new NpgsqlCommand("SELECT last_no FROM document_numbers_used WHERE kind = 'certificate' AND region = '150300' AND year = @y", c);
            cmd.Parameters.AddWithValue("y", year);
            return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
        });

        Assert.Equal(2, last);
    }
}
