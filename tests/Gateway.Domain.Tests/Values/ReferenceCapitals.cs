using System.Text;

namespace Gateway.Domain.Tests.Values;

/// <summary>
/// Independent rendering of 大写 amounts for the property tests: walks the yuan digits left to right with an explicit place unit
/// per position (拾/佰/仟 and 万/亿/万亿 at group ends), remembering a pending zero; decimals are read from the "yuan.jj" string.
/// Same conventions as the product (documented on ChineseCapitals), different algorithm.
/// </summary>
public static class ReferenceCapitals
{
    private static readonly Dictionary<char, char> Numerals = new()
    {
        ['0'] = '零', ['1'] = '壹', ['2'] = '贰', ['3'] = '叁', ['4'] = '肆',
        ['5'] = '伍', ['6'] = '陆', ['7'] = '柒', ['8'] = '捌', ['9'] = '玖',
    };

    public static string Render(long fen)
    {
        if (fen < 0) return "负" + Render(-fen);
        var text = (fen / 100).ToString() + "." + (fen % 100).ToString("00");
        var dot = text.IndexOf('.');
        var yuanDigits = text[..dot];
        var jiao = text[dot + 1];
        var fenDigit = text[dot + 2];

        var sb = new StringBuilder();
        var hasYuan = yuanDigits != "0";
        if (hasYuan)
        {
            var zeroPending = false;
            for (var i = 0; i < yuanDigits.Length; i++)
            {
                var place = yuanDigits.Length - 1 - i; // power of ten of this digit
                var d = yuanDigits[i];
                if (d == '0')
                {
                    if (sb.Length > 0) zeroPending = true;
                }
                else
                {
                    if (zeroPending) sb.Append('零');
                    zeroPending = false;
                    sb.Append(Numerals[d]);
                    sb.Append((place % 4) switch { 1 => "拾", 2 => "佰", 3 => "仟", _ => "" });
                }
                if (place % 4 == 0 && place > 0)
                {
                    // A group ends here: name it if any of its four digits is non-zero; a zero never carries over a named group end.
                    var start = Math.Max(0, i - 3);
                    if (yuanDigits[start..(i + 1)].Any(c => c != '0'))
                    {
                        sb.Append(place switch { 4 => "万", 8 => "亿", 12 => "万亿", _ => throw new ArgumentOutOfRangeException(nameof(fen)) });
                        zeroPending = false;
                    }
                }
            }
            sb.Append('元');
        }

        if (jiao == '0' && fenDigit == '0') return hasYuan ? sb.Append('整').ToString() : "零元整";

        var yuanEndsInZero = hasYuan && yuanDigits[^1] == '0';
        if (hasYuan && (jiao == '0' || yuanEndsInZero)) sb.Append('零');
        if (jiao != '0') sb.Append(Numerals[jiao]).Append('角');
        if (fenDigit != '0') sb.Append(Numerals[fenDigit]).Append('分');
        else sb.Append('整');
        return sb.ToString();
    }
}
