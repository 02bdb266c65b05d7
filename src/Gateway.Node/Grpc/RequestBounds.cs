using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Linq.Expressions;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace Gateway.Node.Grpc;

/// <summary>
/// Generic limits every request must keep before any handler sees it, whatever the method. The domain's
/// own rules come later (RequestValidation); these only keep oversized, invisible or unknown content out.
/// <para>Maximum length of a string field, in characters (Unicode scalar values), by its proto field name;
/// the first matching row wins:</para>
/// <list type="table">
///   <listheader><term>fields</term><description>at most</description></listheader>
///   <item><term>identifiers and codes: *_id, number, *_number, certno, *_token, *admdvs, psn_cert_type,
///   bank_code, *phone, postcode, dates and months (brdy, *_on, from, to, enrolled_from, enrolled_to)</term>
///   <description><see cref="IdentifierLength"/> (64)</description></item>
///   <item><term>names: *name (psn_name, name, account_name, bank_name, agency_name), handler, contact,
///   relation, subscriber</term><description><see cref="NameLength"/> (100)</description></item>
///   <item><term>remarks, reason</term><description><see cref="RemarksLength"/> (500)</description></item>
///   <item><term>everything else: addresses, amounts in capitals, other free text</term>
///   <description><see cref="TextLength"/> (200)</description></item>
/// </list>
/// <para>No string field may contain a control character (Unicode category Cc: NUL, ESC, CR, LF, TAB…), an
/// invisible format character (Cf: U+202E, zero-width space, BOM…), a line or paragraph separator (Zl, Zp)
/// or an unpaired surrogate (Cs): they hide or reorder text on the clerks' screens and in printed documents.</para>
/// <para>A repeated field holds at most <see cref="MaxTableRows"/> (120) entries for information-table rows,
/// <see cref="MaxRepeated"/> (100) for any other. Fields the schema does not define are refused, so a
/// client built against another version of the API learns it at once instead of losing data silently.</para>
/// <para>Violations are reported by their path in the request (e.g. "information_table.table.rows[3].remarks"),
/// at most <see cref="MaxViolations"/>, and never quote the offending input.</para>
/// </summary>
public static class RequestBounds
{
    /// <summary>
    /// Largest request body the node reads (256 KiB; a full batch of 100 applications is about 150 KiB); larger bodies
    /// end RESOURCE_EXHAUSTED before decoding. gRPC rents a buffer of the body's size for each call in flight, so this
    /// bound is also what keeps a flood of near-limit bodies from holding hundreds of MiB (docs/benchmarks.md, Profiles).
    /// </summary>
    public const int MaxMessageBytes = 256 * 1024;

    public const int IdentifierLength = 64;
    public const int NameLength = 100;
    public const int TextLength = 200;
    public const int RemarksLength = 500;
    public const int MaxTableRows = 120;
    public const int MaxRepeated = 100;
    public const int MaxViolations = 20;

    /// <summary>Same limit as the idempotency store's key column.</summary>
    public const int MaxIdempotencyKeyLength = 200;
    public const string IdempotencyKeyHeader = "idempotency-key";

    private static readonly string[] IdentifierNames = ["number", "certno", "psn_cert_type", "bank_code", "postcode", "brdy", "from", "to", "enrolled_from", "enrolled_to"];
    private static readonly string[] IdentifierSuffixes = ["_id", "_number", "_token", "admdvs", "phone", "_on"];
    private static readonly string[] NameNames = ["handler", "contact", "relation", "subscriber"];
    private static readonly string[] RemarksNames = ["remarks", "reason"];

    private static readonly ConcurrentDictionary<FieldDescriptor, int> LengthByField = new();
    private static readonly ConcurrentDictionary<Type, Func<IMessage, UnknownFieldSet?>?> UnknownFieldsByType = new();

    /// <summary>The longest value a string field may hold (see the table above).</summary>
    public static int MaxLength(FieldDescriptor field) => LengthByField.GetOrAdd(field, static f => MaxLength(f.Name));

    internal static int MaxLength(string name)
    {
        if (RemarksNames.Contains(name)) return RemarksLength;
        if (IdentifierNames.Contains(name) || IdentifierSuffixes.Any(s => name.EndsWith(s, StringComparison.Ordinal))) return IdentifierLength;
        if (NameNames.Contains(name) || name.EndsWith("name", StringComparison.Ordinal)) return NameLength;
        return TextLength;
    }

    /// <summary>The most entries a repeated (or map) field may hold.</summary>
    public static int MaxCount(FieldDescriptor field) => field.Name == "rows" ? MaxTableRows : MaxRepeated;

    /// <summary>Every violation of the bounds in the request and its headers; empty when it keeps them all.</summary>
    public static IReadOnlyList<(string Field, string Description)> Check(IMessage? request, Metadata? headers = null)
    {
        var found = new Violations();
        if (headers?.GetValue(IdempotencyKeyHeader) is { } key) CheckText(found, IdempotencyKeyHeader, key, MaxIdempotencyKeyLength);
        if (request is not null) Visit(found, request, "");
        return found.Items;
    }

    private static void Visit(Violations found, IMessage message, string path)
    {
        CheckUnknownFields(found, message, path);
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            if (found.Full) return;
            var fieldPath = path.Length == 0 ? field.Name : $"{path}.{field.Name}";
            var value = field.Accessor.GetValue(message);
            if (field.IsMap || field.IsRepeated)
            {
                var count = ((ICollection)value).Count;
                var max = MaxCount(field);
                // Too many: say so once and skip the entries, so a huge list costs nothing more.
                if (count > max) { found.Add(fieldPath, $"at most {max} entries (has {count})"); continue; }
                if (field.IsMap)
                {
                    // Entries by position: a key is input and must not be echoed in a path.
                    var (keyField, valueField) = (field.MessageType.FindFieldByNumber(1), field.MessageType.FindFieldByNumber(2));
                    var i = 0;
                    foreach (DictionaryEntry entry in (IDictionary)value)
                    {
                        VisitValue(found, keyField, entry.Key, $"{fieldPath}[{i}].key");
                        VisitValue(found, valueField, entry.Value, $"{fieldPath}[{i++}].value");
                    }
                }
                else
                {
                    var i = 0;
                    foreach (var item in (IList)value) VisitValue(found, field, item, $"{fieldPath}[{i++}]");
                }
            }
            else VisitValue(found, field, value, fieldPath);
        }
    }

    private static void VisitValue(Violations found, FieldDescriptor field, object? value, string path)
    {
        switch (value)
        {
            case IMessage child: Visit(found, child, path); break;
            // Also wrapper types (google.protobuf.StringValue), which C# exposes as plain strings.
            case string text: CheckText(found, path, text, MaxLength(field)); break;
        }
    }

    private static void CheckText(Violations found, string path, string text, int max)
    {
        if (text.Length > max)
        {
            var characters = CountCharacters(text);
            if (characters > max) { found.Add(path, $"at most {max} characters (has {characters})"); return; }
        }
        var position = 0;
        for (var i = 0; i < text.Length; i++, position++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var category = CharUnicodeInfo.GetUnicodeCategory(text, i);
                i++;
                // Tag characters and other astral format characters hide text just as well.
                if (category == UnicodeCategory.Format)
                {
                    found.Add(path, $"contains an invisible format character (U+{char.ConvertToUtf32(c, text[i]):X4}) at position {position}");
                    return;
                }
                continue;
            }
            var what = CharUnicodeInfo.GetUnicodeCategory(c) switch
            {
                UnicodeCategory.Control => "a control character",
                UnicodeCategory.Format => "an invisible format character",
                UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => "a line separator",
                UnicodeCategory.Surrogate => "an unpaired surrogate",
                _ => null,
            };
            if (what is null) continue;
            found.Add(path, $"contains {what} (U+{(int)c:X4}) at position {position}");
            return;
        }
    }

    private static int CountCharacters(string text)
    {
        var count = text.Length;
        for (var i = 0; i + 1 < text.Length; i++)
            if (char.IsHighSurrogate(text[i]) && char.IsLowSurrogate(text[i + 1])) { count--; i++; }
        return count;
    }

    private static void CheckUnknownFields(Violations found, IMessage message, string path)
    {
        var accessor = UnknownFieldsByType.GetOrAdd(message.GetType(), UnknownFieldsAccessor);
        if (accessor is null)
        {
            // Not protoc-generated: compare with a copy that drops what the schema does not define.
            var known = message.Descriptor.Parser.WithDiscardUnknownFields(true).ParseFrom(message.ToByteString());
            if (known.CalculateSize() != message.CalculateSize())
                found.Add(path, $"has fields {message.Descriptor.FullName} does not define");
            return;
        }
        if (accessor(message) is not { } unknown || unknown.CalculateSize() == 0) return;
        foreach (var number in FieldNumbers(unknown).Take(5))
            found.Add(path.Length == 0 ? number.ToString(CultureInfo.InvariantCulture) : $"{path}.{number}",
                $"field number {number} is not defined by {message.Descriptor.FullName}");
    }

    /// <summary>
    /// Google.Protobuf has no public getter for a message's unknown fields; generated code keeps them in
    /// the private field "_unknownFields" (stable since 3.5). Read once per type, then a compiled getter.
    /// </summary>
    private static Func<IMessage, UnknownFieldSet?>? UnknownFieldsAccessor(Type type)
    {
        var field = type.GetField("_unknownFields", BindingFlags.Instance | BindingFlags.NonPublic);
        if (field?.FieldType != typeof(UnknownFieldSet)) return null;
        var message = Expression.Parameter(typeof(IMessage));
        var body = Expression.Field(Expression.Convert(message, type), field);
        return Expression.Lambda<Func<IMessage, UnknownFieldSet?>>(body, message).Compile();
    }

    /// <summary>The set does not list its numbers publicly: write it out and read the tags back.</summary>
    private static SortedSet<int> FieldNumbers(UnknownFieldSet unknown)
    {
        var bytes = new byte[unknown.CalculateSize()];
        var output = new CodedOutputStream(bytes);
        unknown.WriteTo(output);
        output.Flush();
        var numbers = new SortedSet<int>();
        var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            numbers.Add(WireFormat.GetTagFieldNumber(tag));
            input.SkipLastField();
        }
        return numbers;
    }

    private sealed class Violations
    {
        private readonly List<(string Field, string Description)> _items = [];
        public IReadOnlyList<(string Field, string Description)> Items => _items;
        public bool Full => _items.Count >= MaxViolations;

        public void Add(string field, string description)
        {
            if (!Full) _items.Add((field, description));
        }
    }
}
