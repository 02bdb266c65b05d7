using Microsoft.Extensions.Options;

namespace Gateway.Node.Infrastructure;

/// <summary>The node's notion of "now" and of today's business date (China Standard Time).</summary>
public sealed class BusinessClock(TimeProvider time, IOptions<NodeOptions> options)
{
    public DateTimeOffset UtcNow => time.GetUtcNow();

    public DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().ToOffset(options.Value.BusinessUtcOffset).DateTime);
}
