using Gateway.Domain.Calendar;
using Gateway.Domain.Rules;
using Gateway.Domain.Seeds;
using Microsoft.Extensions.Options;

namespace Gateway.Node.Infrastructure;

/// <summary>
/// Calendars and deadline regimes the node computes with: the embedded seeds, plus any year files operators drop into
/// <see cref="NodeOptions.CalendarDirectory"/>. The directory is watched: a new year (the State Council publishes the
/// next one each November or December) takes effect while the node runs, and every deadline computed from then on uses
/// it, including those that fell back to weekends-only before. A file that does not parse is reported and the calendar
/// in force stays.
/// </summary>
public sealed class ReferenceData : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);
    private readonly string? _directory;
    private readonly ILogger<ReferenceData> _logger;
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer? _debounce;
    private readonly Lock _reload = new();
    private volatile WorkingDayCalendar _calendar;

    public ReferenceData(IOptions<NodeOptions> options, ILogger<ReferenceData> logger)
    {
        _logger = logger;
        _directory = options.Value.CalendarDirectory is { Length: > 0 } dir && Directory.Exists(dir) ? dir : null;
        // At start a bad file stops the node (as before): a calendar it cannot read must not be skipped silently.
        _calendar = Load(throwOnError: true)!;
        Regimes = SeedLibrary.Regimes;
        if (_directory is null) return;

        _debounce = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        _watcher = new FileSystemWatcher(_directory, "*.json") { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
        FileSystemEventHandler changed = (_, _) => _debounce.Change(Settle, Timeout.InfiniteTimeSpan); // writes come in bursts
        _watcher.Created += changed;
        _watcher.Changed += changed;
        _watcher.Deleted += changed;
        _watcher.Renamed += (_, _) => _debounce.Change(Settle, Timeout.InfiniteTimeSpan);
        _watcher.EnableRaisingEvents = true;
    }

    public WorkingDayCalendar Calendar => _calendar;

    public RegimeBook Regimes { get; }

    /// <summary>Reads the directory again now; true when the calendar in force changed.</summary>
    public bool Reload()
    {
        lock (_reload)
        {
            var next = Load(throwOnError: false);
            if (next is null) return false;
            var before = string.Join(",", _calendar.Years.Select(y => y.Year));
            _calendar = next;
            var after = string.Join(",", next.Years.Select(y => y.Year));
            if (before != after) _logger.LogInformation("Working-day calendars reloaded: now {Years}", after);
            return before != after;
        }
    }

    private WorkingDayCalendar? Load(bool throwOnError)
    {
        var calendar = SeedLibrary.Calendar;
        if (_directory is not null)
        {
            try
            {
                var files = Directory.GetFiles(_directory, "*.json").Order(StringComparer.Ordinal).ToArray();
                calendar = calendar.WithYears(files.Select(File.ReadAllText).ToArray());
                _logger.LogInformation("Loaded {Count} calendar file(s) from {Directory}", files.Length, _directory);
            }
            catch (Exception ex) when (!throwOnError && ex is IOException or UnauthorizedAccessException or FormatException or System.Text.Json.JsonException or ArgumentException)
            {
                _logger.LogError(ex, "The calendar files in {Directory} could not be read; the calendar in force stays", _directory);
                return null;
            }
        }
        _logger.LogInformation("Working-day calendars loaded for {Years}", string.Join(", ", calendar.Years.Select(y => y.Year)));
        return calendar;
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _debounce?.Dispose();
    }
}
