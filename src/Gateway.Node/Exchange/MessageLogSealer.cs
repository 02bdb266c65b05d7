using Gateway.Messaging.Signing;
using Gateway.Node.Infrastructure;
using Gateway.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.Node.Exchange;

/// <summary>Settings of the message log ("Gateway:MessageLog"; docs/security.md, "Message log").</summary>
public sealed class MessageLogOptions
{
    public const string Section = "Gateway:MessageLog";

    /// <summary>How often committed entries get their seq and hash.</summary>
    public TimeSpan SealInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A new head is signed when the last one is this old (and entries were sealed since)…</summary>
    public TimeSpan HeadInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>…or when this many entries were sealed since it.</summary>
    public int HeadEveryEntries { get; set; } = 10_000;

    /// <summary>Entries sealed per transaction.</summary>
    public int SealBatch { get; set; } = 5_000;
}

/// <summary>
/// Seals the message log off the hot path: the transactions that send, receive or act only insert their entry (no
/// shared lock), and this service, one sealing transaction at a time (an advisory lock), gives every committed,
/// unsealed entry the next seq and hash = SM3(previous hash ‖ canonical entry bytes), in insertion order, then signs
/// the chain head with the node's envelope key when it is due. A sealing transaction that fails changes nothing, so
/// seq stays gap-free across crashes; entries committed before a kill are sealed after the restart.
/// </summary>
public sealed class MessageLogSealer(
    NodeDatabase db,
    TrustDirectorySource trust,
    NodeIdentity node,
    BusinessClock clock,
    IOptions<MessageLogOptions> options,
    ILogger<MessageLogSealer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        using var timer = new PeriodicTimer(o.SealInterval);
        do
        {
            try
            {
                while (await SealOnceAsync(stoppingToken) >= o.SealBatch && !stoppingToken.IsCancellationRequested) { }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex) { logger.LogWarning(ex, "Sealing the message log failed; next try in {Interval}", o.SealInterval); }
        } while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => !t.IsCanceled && t.Result));
    }

    /// <summary>One sealing transaction: seals up to SealBatch entries and signs a head when due. Returns how many it sealed.</summary>
    public Task<int> SealOnceAsync(CancellationToken ct) => db.InTransactionAsync(async (conn, tx, token) =>
    {
        if (!await MessageLogStore.TryLockSealerAsync(conn, tx, token)) return 0;
        var last = await MessageLogStore.LastSealedAsync(conn, tx, token);
        var (seq, hash) = last ?? (0L, MessageLogFormat.Genesis);
        var pending = await MessageLogStore.UnsealedAsync(conn, tx, options.Value.SealBatch, token);
        var sealedRows = new List<(long Id, long Seq, byte[] Hash)>(pending.Count);
        foreach (var e in pending)
        {
            seq++;
            hash = MessageLogFormat.ChainHash(hash, new MessageLogFields(seq, e.Kind, e.MessageId, e.MessageType, e.Sender, e.Receiver,
                e.CorrelationId, e.Digest, e.At));
            sealedRows.Add((e.Id, seq, hash));
        }
        await MessageLogStore.SealAsync(conn, tx, sealedRows, token);
        if (seq > 0) await SignHeadIfDueAsync(conn, tx, seq, hash, token);
        return sealedRows.Count;
    }, ct);

    private async Task SignHeadIfDueAsync(Npgsql.NpgsqlConnection conn, Npgsql.NpgsqlTransaction tx, long seq, byte[] hash, CancellationToken ct)
    {
        var o = options.Value;
        var previous = await MessageLogStore.LastHeadAsync(conn, tx, ct);
        // PostgreSQL keeps microseconds: sign the instant as it will be stored and read back.
        var now = clock.UtcNow;
        now = new DateTimeOffset(now.UtcTicks - now.UtcTicks % 10, TimeSpan.Zero);
        if (previous is not null && (previous.Seq >= seq || (now - previous.SignedAt < o.HeadInterval && seq - previous.Seq < o.HeadEveryEntries))) return;
        var key = trust.Current.SigningKey;
        var signature = MessageLogFormat.SignHead(key, node.Province, seq, hash, now);
        await MessageLogStore.AddHeadAsync(conn, tx, new MessageLogHead(seq, hash, now, node.Province, key.KeyId, key.Algorithm, signature), ct);
    }
}
