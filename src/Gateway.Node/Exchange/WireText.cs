namespace Gateway.Node.Exchange;

/// <summary>Identifiers and text read from the wire, made safe to store, log and show.</summary>
public static class WireText
{
    public const int MaxIdLength = 200;

    /// <summary>Present, bounded, and free of control and format characters.</summary>
    public static bool IsIdentifier(string? s) => s is { Length: > 0 and <= MaxIdLength } && !s.Any(IsUnsafe);

    /// <summary>Text with control and format characters replaced by '?', cut to <paramref name="max"/> characters.</summary>
    public static string Clean(string? text, int max = 2_000)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var cut = text.Length <= max ? text : text[..max];
        return cut.Any(IsUnsafe) ? new string(cut.Select(c => IsUnsafe(c) ? '?' : c).ToArray()) : cut;
    }

    // Cc: NUL, ESC, CR/LF...; Cf: bidirectional overrides, zero-width characters, the BOM. Lone surrogates too.
    private static bool IsUnsafe(char c) =>
        char.IsControl(c) || char.IsSurrogate(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format;
}
