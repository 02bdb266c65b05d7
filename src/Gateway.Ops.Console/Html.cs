using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace Gateway.Ops.Console;

/// <summary>HTML that is already safe to write as is (built by <see cref="H.M"/>, never from a value directly).</summary>
public readonly record struct Markup(string Value)
{
    public static readonly Markup Empty = new("");

    public override string ToString() => Value ?? "";
}

/// <summary>Interpolated HTML: every hole is encoded with the HtmlEncoder unless it is already <see cref="Markup"/>.</summary>
[InterpolatedStringHandler]
public ref struct HtmlHandler
{
    private DefaultInterpolatedStringHandler _inner;

    public HtmlHandler(int literalLength, int formattedCount) => _inner = new DefaultInterpolatedStringHandler(literalLength, formattedCount, CultureInfo.InvariantCulture);

    public void AppendLiteral(string s) => _inner.AppendLiteral(s);

    public void AppendFormatted(Markup markup) => _inner.AppendLiteral(markup.Value ?? "");

    public void AppendFormatted(string? text) => _inner.AppendLiteral(H.Encode(text));

    public void AppendFormatted<T>(T value) => _inner.AppendLiteral(H.Encode(Convert.ToString(value, CultureInfo.InvariantCulture)));

    internal string Build() => _inner.ToStringAndClear();
}

public static class H
{
    // Chinese stays readable in the page source; everything that matters in HTML (<, >, &, quotes) is still encoded.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    public static string Encode(string? text) => string.IsNullOrEmpty(text) ? "" : Encoder.Encode(text);

    public static Markup M(ref HtmlHandler html) => new(html.Build());

    public static Markup Join(IEnumerable<Markup> parts)
    {
        var sb = new StringBuilder();
        foreach (var p in parts) sb.Append(p.Value);
        return new Markup(sb.ToString());
    }

    public static Markup Join<T>(IEnumerable<T> items, Func<T, Markup> render) => Join(items.Select(render));

    /// <summary>A query string of the non-empty values, encoded (for links that keep the filters).</summary>
    public static string Query(IEnumerable<(string Key, string? Value)> pairs)
    {
        var parts = pairs.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value!)}").ToList();
        return parts.Count == 0 ? "" : "?" + string.Join("&", parts);
    }
}
