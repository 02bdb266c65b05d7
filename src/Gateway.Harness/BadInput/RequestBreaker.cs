using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Gateway.Harness.BadInput;

/// <summary>One field of a request that a break can target: the message holding it, the field, and its request path.</summary>
public sealed record FieldRef(IMessage Owner, FieldDescriptor Field, string Path);

/// <summary>
/// Breaks one field of a valid request so that the request is invalid whatever else it holds: a control or format
/// character inside a string, a string far over every bound, a date that is no date, a negative or huge number, an enum
/// value the API does not define, or a required message left out. Shared by the bad-input run and the property tests.
/// </summary>
public static class RequestBreaker
{
    /// <summary>Characters no field of the API accepts (control, bidi override, zero-width, BOM, line separator).</summary>
    public static readonly string[] Hostile = ["\0", "\u001b", "\r\n", "\u202e", "\u200b", "\ufeff", "\u0007", "\u2028"];

    private static readonly string[] BadMonths = ["2024-13", "abcd-01", "9999-12", "0001-01", "2024-00"];
    private static readonly string[] BadDays = ["2026-02-30", "31/12/2025", "9999-12-31", "0001-01-01", "yesterday"];

    /// <summary>
    /// Every scalar, enum and message field of <paramref name="message"/> (and of its messages, and of the first entry of
    /// its repeated messages), in a stable order. Messages named in <paramref name="optional"/> are descended into but
    /// never cleared (leaving them out is valid); fields named in <paramref name="skip"/> are left alone (ignored by the
    /// node, or free of any bound a break could cross). Page sizes and booleans are never listed: no value of theirs is
    /// invalid in every request.
    /// </summary>
    public static List<FieldRef> Fields(IMessage message, IReadOnlySet<string>? optional = null, IReadOnlySet<string>? skip = null, string prefix = "")
    {
        optional ??= DefaultOptional;
        var list = new List<FieldRef>();
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var path = prefix + field.Name;
            if (skip?.Contains(field.Name) == true || field.Name == "page_size") continue;
            if (field.IsRepeated)
            {
                if (field.FieldType == FieldType.Message && field.Accessor.GetValue(message) is System.Collections.IList { Count: > 0 } items)
                    list.AddRange(Fields((IMessage)items[0]!, optional, skip, $"{path}[0]."));
                continue;
            }
            if (field.FieldType == FieldType.Message)
            {
                if (field.Accessor.GetValue(message) is IMessage child)
                {
                    if (!optional.Contains(field.Name)) list.Add(new FieldRef(message, field, path));
                    list.AddRange(Fields(child, optional, skip, path + "."));
                }
                continue;
            }
            if (field.FieldType is FieldType.String or FieldType.Int64 or FieldType.Int32 or FieldType.Enum)
                list.Add(new FieldRef(message, field, path));
        }
        return list;
    }

    /// <summary>The transfer API's optional message: an application made by the person has no applicant.</summary>
    public static readonly IReadOnlySet<string> DefaultOptional = new HashSet<string>(StringComparer.Ordinal) { "applicant" };

    /// <summary>Makes one field invalid whatever the rest of the request holds; returns what it did (for a report line).</summary>
    /// <param name="how">0..9: which kind of break (strings: 0-3 hostile character, 4-6 oversized, 7-9 bad date when a date).</param>
    /// <param name="n">Any non-negative number: picks the character, position, length or value.</param>
    public static string Break(FieldRef f, int how, int n)
    {
        var accessor = f.Field.Accessor;
        switch (f.Field.FieldType)
        {
            case FieldType.String:
            {
                var current = (string)accessor.GetValue(f.Owner);
                if (how < 4)
                {
                    var bad = Hostile[n % Hostile.Length];
                    var at = current.Length == 0 ? 0 : n % (current.Length + 1);
                    accessor.SetValue(f.Owner, current.Insert(at, bad));
                    return $"{f.Path}: U+{(int)bad[0]:X4} at {at}";
                }
                if (how < 7 || !IsDate(f.Field.Name))
                {
                    accessor.SetValue(f.Owner, new string('长', 600 + n % 70_000));
                    return $"{f.Path}: {600 + n % 70_000} characters";
                }
                var dates = IsMonth(f.Field.Name) ? BadMonths : BadDays;
                var value = dates[n % dates.Length];
                accessor.SetValue(f.Owner, value);
                return $"{f.Path}: '{value}'";
            }
            case FieldType.Int64:
                var big = how < 5 ? -1L - n : long.MaxValue - n;
                accessor.SetValue(f.Owner, big);
                return $"{f.Path}: {big}";
            case FieldType.Int32:
                var months = how < 5 ? -1 - n : int.MaxValue - n;
                accessor.SetValue(f.Owner, months);
                return $"{f.Path}: {months}";
            case FieldType.Enum:
                var code = 7_000 + n % 1_000;
                accessor.SetValue(f.Owner, code);
                return $"{f.Path}: enum {code}";
            case FieldType.Message:
                accessor.Clear(f.Owner);
                return $"{f.Path}: absent";
            default:
                return $"{f.Path}: untouched";
        }
    }

    private static bool IsMonth(string name) => name is "enrolled_from" or "enrolled_to" or "from" or "to" or "paid_from" or "paid_to";

    private static bool IsDate(string name) => name.EndsWith("_on", StringComparison.Ordinal) || IsMonth(name) || name is "brdy" or "valid_from" or "valid_to";
}
