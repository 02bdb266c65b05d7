using System.Threading.Channels;
using Gateway.Storage;

namespace Gateway.Node.Exchange;

/// <summary>
/// Committed outbox rows on their way straight to the producer (publish on the committing path). Bounded: when it is
/// full a row is simply not offered, and the relay sends it after <see cref="OutboxStore.HandOffLease"/>.
/// </summary>
public sealed class OutboxHandOff
{
    private readonly Channel<OutboxRow> _rows = Channel.CreateBounded<OutboxRow>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public ChannelReader<OutboxRow> Reader => _rows.Reader;

    public void Offer(IReadOnlyList<OutboxRow> rows)
    {
        foreach (var row in rows) _rows.Writer.TryWrite(row);
    }
}
