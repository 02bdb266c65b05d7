using Gateway.Domain.Calendar;
using Gateway.Domain.Rules;
using Gateway.Domain.Seeds;
using Microsoft.Extensions.Options;

namespace Gateway.Node.Infrastructure;

/// <summary>
/// Calendars and deadline regimes the node computes with: the embedded seeds, plus any year files
/// operators drop into <see cref="NodeOptions.CalendarDirectory"/> (read at start, no rebuild needed).
/// </summary>
public sealed class ReferenceData
{
    public ReferenceData(IOptions<NodeOptions> options, ILogger<ReferenceData> logger)
    {
        var calendar = SeedLibrary.Calendar;
        var dir = options.Value.CalendarDirectory;
        if (!string.IsNullOrWhiteSpace(dir) && Directory.Exists(dir))
        {
            var files = Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal).ToArray();
            calendar = calendar.WithYears(files.Select(File.ReadAllText).ToArray());
            logger.LogInformation("Loaded {Count} calendar file(s) from {Directory}", files.Length, dir);
        }
        Calendar = calendar;
        Regimes = SeedLibrary.Regimes;
        logger.LogInformation("Working-day calendars loaded for {Years}", string.Join(", ", calendar.Years.Select(y => y.Year)));
    }

    public WorkingDayCalendar Calendar { get; }
    public RegimeBook Regimes { get; }
}
