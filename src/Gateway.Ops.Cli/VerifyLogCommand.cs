using System.CommandLine;
using Gateway.Contracts.Ops.V1;
using Gateway.Messaging.Signing;

namespace Gateway.Ops.Cli;

/// <summary>
/// `gateway-ops verify-log`: fetches the node's message log and signed chain heads and checks them independently of
/// the node: every entry's hash recomputed from its fields and the previous hash, seq gap-free, every head's signature
/// checked with the province's public key from the directory file, and every head's hash equal to the recomputed one.
/// </summary>
public static class VerifyLogCommand
{
    /// <summary>Exit code when the log or a head does not verify (0: it does).</summary>
    public const int Broken = 5;

    private const int PageSize = 500;

    public static Command Build(SessionFactory sessions)
    {
        var fromSeq = new Option<long>("--from-seq") { Description = "First entry to check (default 1). The entry before it is taken as the anchor." };
        var toSeq = new Option<long?>("--to-seq") { Description = "Last entry to check (default: the last sealed one)." };
        var directory = new Option<string>("--directory")
        {
            Description = "The province directory (file, or folder of *.json) with the node's public keys: the heads are checked against it, not against the node.",
            Required = true,
        };
        var command = new Command("verify-log", $"""
            Verify the hash-chained message log and its signed heads over a range; names the first broken entry.
            Exit {ExitCodes.Ok}: verified; {Broken}: an entry or a head does not verify (printed); {ExitCodes.Usage}: bad options or directory.
            """) { fromSeq, toSeq, directory };
        command.SetAction(async (p, ct) =>
        {
            var from = Math.Max(1, p.GetValue(fromSeq));
            var to = p.GetValue(toSeq);
            if (to is { } last && last < from) throw new UsageException($"--to-seq {last} is before --from-seq {from}.");
            TrustDirectory trust;
            try { trust = LoadDirectory(p.GetValue(directory)!); }
            catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"--directory: {ex.Message}");
            }
            using var s = sessions.Open(p);
            var ops = s.Ops();
            var report = await new LogVerifier(trust,
                async (seq, token) => await ops.ListMessageLogAsync(new ListMessageLogRequest { FromSeq = seq, PageSize = PageSize }, s.Call().WithCancellationToken(token)),
                async (seq, token) => await ops.ListMessageLogHeadsAsync(new ListMessageLogHeadsRequest { FromSeq = seq, PageSize = PageSize }, s.Call().WithCancellationToken(token)))
                .VerifyAsync(from, to, ct);
            foreach (var line in report.Lines) await s.Output.WriteLineAsync(line);
            return report.Ok ? ExitCodes.Ok : Broken;
        });
        return command;
    }

    /// <summary>A directory file, or a folder whose *.json files are merged (as the node reads it).</summary>
    public static TrustDirectory LoadDirectory(string path)
    {
        IEnumerable<string> files = Directory.Exists(path) ? Directory.GetFiles(path, "*.json").Order(StringComparer.Ordinal)
            : File.Exists(path) ? [path] : throw new FormatException($"'{path}' is neither a file nor a folder");
        return TrustDirectory.Parse(files.Select(f => (Path.GetFileName(f), File.ReadAllText(f))).ToList());
    }
}

/// <summary>What verify-log found: OK, or the first broken entry and every head that does not hold.</summary>
public sealed record LogReport(bool Ok, long? FirstBrokenSeq, IReadOnlyList<string> Lines);

/// <summary>The verification itself, over pages fetched by the caller (the CLI's gRPC calls, or a test's).</summary>
public sealed class LogVerifier(
    TrustDirectory directory,
    Func<long, CancellationToken, Task<ListMessageLogResponse>> entries,
    Func<long, CancellationToken, Task<ListMessageLogHeadsResponse>> heads)
{
    public async Task<LogReport> VerifyAsync(long from, long? to, CancellationToken ct)
    {
        var lines = new List<string>();
        var problems = new List<string>();
        long? firstBroken = null;
        void Break(long seq, string what)
        {
            firstBroken ??= seq;
            problems.Add($"BROKEN at seq {seq}: {what}");
        }

        // Heads in range, by seq; each signature is checked on its own, before the chain.
        var signed = new SortedDictionary<long, MessageLogHead>();
        string? province = null;
        for (long next = from; next > 0;)
        {
            var page = await heads(next, ct);
            foreach (var h in page.Heads.Where(h => to is null || h.Seq <= to)) signed[h.Seq] = h;
            next = page.Heads.Count > 0 && (to is null || page.Heads[^1].Seq < to) ? page.NextFromSeq : 0;
        }

        // The anchor: entry from-1's stored hash (entry 1 starts from 32 zero bytes).
        var previous = MessageLogFormat.Genesis;
        var expected = from;
        if (from > 1)
        {
            var anchor = await entries(from - 1, ct);
            province = anchor.Province;
            if (anchor.Entries.Count == 0 || anchor.Entries[0].Seq != from - 1)
                Break(from - 1, $"entry {from - 1}, the anchor of the range, is missing");
            else previous = anchor.Entries[0].Hash.ToByteArray();
        }

        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var recomputed = new Dictionary<long, byte[]>();
        long checkedCount = 0, last = from - 1, unsealed = 0;
        for (long next = from; next > 0 && firstBroken is null;)
        {
            var page = await entries(next, ct);
            province ??= page.Province;
            unsealed = page.Unsealed;
            foreach (var e in page.Entries)
            {
                if (to is { } end && e.Seq > end) { next = 0; break; }
                if (e.Seq != expected)
                {
                    Break(expected, e.Seq > expected
                        ? $"entry {expected} is missing: entry {expected - 1} is followed by {e.Seq}"
                        : $"entry {e.Seq} appears again (or out of order) after entry {expected - 1}");
                    break;
                }
                var hash = MessageLogFormat.ChainHash(previous, new MessageLogFields(e.Seq, e.Kind, e.MessageId, e.MessageType, e.Sender, e.Receiver,
                    e.CorrelationId, e.Digest.ToByteArray(), e.At.ToDateTimeOffset()));
                if (!hash.AsSpan().SequenceEqual(e.Hash.Span))
                {
                    Break(e.Seq, $"its stored hash {Hex(e.Hash.Span)} differs from the hash recomputed from its fields and entry {e.Seq - 1}'s hash, " +
                        $"{Hex(hash)}: a field of this entry (kind {e.Kind}, message {e.MessageId}, digest {Hex(e.Digest.Span)}) was changed, or it was moved");
                    break;
                }
                if (signed.ContainsKey(e.Seq)) recomputed[e.Seq] = hash;
                counts[e.Kind] = counts.GetValueOrDefault(e.Kind) + 1;
                previous = hash;
                last = e.Seq;
                expected = e.Seq + 1;
                checkedCount++;
            }
            if (firstBroken is not null || next == 0) break;
            next = page.NextFromSeq;
        }

        var verifiedHeads = 0;
        long lastVerifiedHead = 0;
        foreach (var (seq, h) in signed)
        {
            if (province is not null && h.Province != province)
            {
                problems.Add($"BROKEN head at seq {seq}: signed as province {h.Province}, but the node is {province}");
                firstBroken ??= seq;
                continue;
            }
            if (MessageLogFormat.HeadProblem(directory, h.Province, h.Seq, h.Hash.Span, h.SignedAt.ToDateTimeOffset(), h.Algorithm, h.KeyId,
                    h.Signature.ToByteArray()) is { } problem)
            {
                problems.Add($"BROKEN head at seq {seq}: its signature does not hold: {problem}");
                firstBroken ??= seq;
                continue;
            }
            if (recomputed.TryGetValue(seq, out var hash))
            {
                if (!hash.AsSpan().SequenceEqual(h.Hash.Span))
                {
                    problems.Add($"BROKEN head at seq {seq}: it signs hash {Hex(h.Hash.Span)} but the chain recomputes {Hex(hash)}: " +
                        $"an entry after seq {lastVerifiedHead} and at or before {seq} was changed and the hashes after it rewritten");
                    firstBroken ??= Math.Max(from, lastVerifiedHead + 1);
                    continue;
                }
                verifiedHeads++;
                lastVerifiedHead = seq;
            }
            else if (firstBroken is null && seq > last)
            {
                problems.Add($"BROKEN head at seq {seq}: the node signed entry {seq}, but the log ends at {last}: entries were removed");
                firstBroken ??= last + 1;
            }
        }

        if (problems.Count > 0)
        {
            lines.AddRange(problems);
            return new LogReport(false, firstBroken, lines);
        }
        if (checkedCount == 0)
        {
            lines.Add($"OK: no sealed entries from seq {from}{(to is null ? "" : $" to {to}")} ({unsealed} not sealed yet)");
            return new LogReport(true, null, lines);
        }
        lines.Add($"OK: entries {from}..{last} verified ({checkedCount}: {string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}"))}), " +
            $"{verifiedHeads} signed head(s) verified with province {province}'s key(s) from the directory");
        lines.Add(verifiedHeads == 0
            ? "note: no signed head in the range covers these entries yet; the chain is consistent but unsigned"
            : last > lastVerifiedHead
                ? $"note: entries {lastVerifiedHead + 1}..{last} are chained after the last signed head (seq {lastVerifiedHead}) and not signed yet"
                : $"the last signed head covers seq {lastVerifiedHead}");
        if (from > 1) lines.Add($"note: the range starts from entry {from - 1}'s stored hash; check from seq 1 to cover everything before it");
        return new LogReport(true, null, lines);
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
