using System.Text;

namespace Gateway.Domain.Values;

/// <summary>
/// Renders fen as Chinese financial capitals (大写金额), following the usual bill-writing rules:
/// <list type="bullet">
/// <item>zero is 零元整; whole yuan end in 整 (壹佰元整); an amount with 分 ends in 分 with no 整;</item>
/// <item>an amount ending in 角 is written 角整 (伍角整): the rules allow either form, 整 leaves no room to append;</item>
/// <item>tens always carry their digit (壹拾元整, 壹拾万元整), groups are 万, 亿 and 万亿;</item>
/// <item>a run of zeros between non-zero digits is written as one 零, including across groups (壹仟零伍元, 壹亿零伍仟元);
///   zeros at the end of a group are silent when the next group starts with 仟 (壹拾万柒仟元);</item>
/// <item>between 元 and the decimals one 零 appears when the 角 is zero but 分 is not (壹元零伍分), and when the yuan
///   end in a zero and 角 is not zero (壹仟陆佰捌拾元零叁角贰分), as in the official examples;</item>
/// <item>negative amounts are prefixed 负; magnitudes of 10^16 yuan and more are refused.</item>
/// </list>
/// </summary>
public static class ChineseCapitals
{
    private const string Digits = "零壹贰叁肆伍陆柒捌玖";
    private static readonly string[] PlaceUnits = ["", "拾", "佰", "仟"];
    private static readonly string[] GroupUnits = ["", "万", "亿", "万亿"];

    public static string Render(long fen)
    {
        if (fen is < -Money.MaxFen or > Money.MaxFen)
            throw new ArgumentOutOfRangeException(nameof(fen), fen, "Amounts of 10^16 yuan or more have no capitals rendering.");
        if (fen == 0) return "零元整";
        if (fen < 0) return "负" + Render(-fen);

        var yuan = fen / 100;
        var jiao = (int)(fen / 10 % 10);
        var cents = (int)(fen % 10);
        var text = new StringBuilder();

        if (yuan > 0)
        {
            AppendYuan(text, yuan);
            text.Append('元');
        }

        if (jiao == 0 && cents == 0) return text.Append('整').ToString();

        if (yuan > 0 && (jiao == 0 || yuan % 10 == 0)) text.Append('零');
        if (jiao > 0) text.Append(Digits[jiao]).Append('角');
        text.Append(cents > 0 ? $"{Digits[cents]}分" : "整");
        return text.ToString();
    }

    private static void AppendYuan(StringBuilder text, long yuan)
    {
        var groups = new List<int>();
        for (var rest = yuan; rest > 0; rest /= 10_000) groups.Add((int)(rest % 10_000));

        var started = false;
        var zeroPending = false;
        for (var g = groups.Count - 1; g >= 0; g--)
        {
            var group = groups[g];
            if (group == 0)
            {
                zeroPending |= started;
                continue;
            }
            if (started && group < 1000) zeroPending = true;
            if (zeroPending) text.Append('零');
            zeroPending = false;
            AppendGroup(text, group);
            text.Append(GroupUnits[g]);
            started = true;
        }
    }

    // One four-digit group: inner zeros collapse to one 零, trailing zeros are silent.
    private static void AppendGroup(StringBuilder text, int group)
    {
        var written = false;
        var zero = false;
        for (var place = 3; place >= 0; place--)
        {
            var digit = group / Pow10(place) % 10;
            if (digit == 0)
            {
                zero |= written;
                continue;
            }
            if (zero) text.Append('零');
            zero = false;
            text.Append(Digits[digit]).Append(PlaceUnits[place]);
            written = true;
        }
    }

    private static int Pow10(int place) => place switch { 0 => 1, 1 => 10, 2 => 100, _ => 1000 };
}
