namespace Gateway.Domain.Calendar;

/// <summary>Business dates are Beijing dates (UTC+8, no daylight saving), whatever the host's time zone.</summary>
public static class ChinaTime
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    public static DateOnly DateOf(DateTimeOffset instant) => DateOnly.FromDateTime(instant.ToOffset(Offset).DateTime);
}
