namespace Gateway.Benchmarks;

/// <summary>Figures as people read them.</summary>
public static class Format
{
    public static string Rate(double perSecond) => double.IsNaN(perSecond) ? "-" : perSecond >= 100 ? $"{perSecond:N0}/s" : $"{perSecond:N1}/s";

    public static string Ms(double ms) => double.IsNaN(ms) ? "-" : ms >= 100 ? $"{ms:N0} ms" : $"{ms:N2} ms";

    public static string Bytes(double bytes)
    {
        if (double.IsNaN(bytes)) return "-";
        var sign = bytes < 0 ? "-" : "";
        bytes = Math.Abs(bytes);
        return bytes switch
        {
            >= 1024 * 1024 => $"{sign}{bytes / (1024 * 1024):N1} MiB",
            >= 1024 => $"{sign}{bytes / 1024:N1} KiB",
            _ => $"{sign}{bytes:N0} B",
        };
    }

    /// <summary>measured ÷ baseline, e.g. "0.12×".</summary>
    public static string Ratio(double measured, double baseline)
    {
        if (double.IsNaN(measured) || double.IsNaN(baseline) || baseline == 0) return "-";
        var r = measured / baseline;
        if (r > 0 && r < 0.01) return $"{r:0.####}× (1/{1 / r:N0})"; // tiny shares stay readable
        return r >= 100 ? $"{r:N0}×" : r >= 10 ? $"{r:N1}×" : $"{r:N2}×";
    }
}
