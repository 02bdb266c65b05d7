using Google.Protobuf;
using Grpc.Core;

namespace Gateway.Harness.BadInput;

/// <summary>One generated request: where it goes, the bytes sent, and what the run expects back.</summary>
internal sealed record GeneratedRequest(
    CallSpec Spec,
    string Category,
    string What,
    string Province,
    byte[] Body,
    Metadata? Headers,
    Expectation Expected,
    bool Raw = false,
    StatusCode[]? AlsoAllowed = null)
{
    /// <summary>
    /// Sent on a channel of its own: a body over the limit, or a header value with a control character (HTTP/2 forbids
    /// those), may make the server reset the whole connection, which no other call must see. The client then reads
    /// the reset as CANCELLED: allowed for these, a violation for anything else.
    /// </summary>
    public bool OwnChannel => Body.Length > Gateway.Node.Grpc.RequestBounds.MaxMessageBytes
                              || Headers?.GetValue("idempotency-key") is { } key && key.Any(char.IsControl);

    /// <summary>Codes this input may end with besides the clear refusals (the reset a client reads as CANCELLED).</summary>
    public StatusCode[]? Allowed => OwnChannel ? [StatusCode.Cancelled] : AlsoAllowed;

    public string Call => Spec.Name;
}

/// <summary>
/// Turns the catalogue into requests, deterministically from the seed: input <c>i</c> targets call <c>i mod calls</c>
/// (so every call gets its share) and draws a category, then its breaks, from its own Random(seed, i).
/// </summary>
internal sealed class RequestGenerator(IReadOnlyList<CallSpec> specs, BadInputArena arena, int seed)
{
    public const string FieldBreaks = "field breaks";
    public const string Semantic = "semantic";
    public const string Garbage = "garbage body";
    public const string UnknownField = "unknown field";
    public const string Oversized = "body over the limit";
    public const string MissingKey = "missing idempotency key";
    public const string BadKey = "bad idempotency key";
    public const string ReusedKey = "reused key, other body";
    public const string WrongNode = "another province's node";
    public const string Replay = "exact repeat";
    public const string BatchShape = "bad batch";

    private static readonly (string Category, int Weight)[] Weights =
    [
        (FieldBreaks, 38), (Semantic, 16), (Garbage, 10), (UnknownField, 3), (Oversized, 1), (MissingKey, 6), (BadKey, 5),
        (ReusedKey, 8), (WrongNode, 6), (Replay, 4), (BatchShape, 3),
    ];

    public GeneratedRequest Generate(int index)
    {
        var spec = specs[index % specs.Count];
        var random = new Random(HashCode.Combine(seed, index));
        for (var attempt = 0; ; attempt++)
        {
            var category = Pick(random);
            if (Build(spec, category, random) is { } request) return request;
            if (attempt > 20) return Build(spec, FieldBreaks, random)!;
        }
    }

    private static string Pick(Random random)
    {
        var roll = random.Next(Weights.Sum(w => w.Weight));
        foreach (var (category, weight) in Weights)
            if ((roll -= weight) < 0) return category;
        return FieldBreaks;
    }

    private static string NewKey() => $"bad-input-{Guid.NewGuid():N}";

    private GeneratedRequest? Build(CallSpec spec, string category, Random random)
    {
        var request = spec.Template.Descriptor.Parser.ParseFrom(spec.Template.ToByteString());
        switch (category)
        {
            case FieldBreaks:
            {
                var fields = RequestBreaker.Fields(request, Optional(spec), spec.Skip);
                var count = random.Next(1, 4);
                var what = new List<string>();
                // Chosen first, broken after: a break that clears a message must not shift the others.
                var chosen = Enumerable.Range(0, count).Select(_ => fields[random.Next(fields.Count)]).ToList();
                foreach (var f in chosen) what.Add(RequestBreaker.Break(f, random.Next(10), random.Next(1_000_000)));
                return Keyed(spec, category, string.Join("; ", what), request, NewKey());
            }
            case Semantic:
            {
                if (spec.Spoils.Count == 0) return null;
                var (_, apply) = spec.Spoils[random.Next(spec.Spoils.Count)];
                return Keyed(spec, category, apply(request, random), request, NewKey());
            }
            case Garbage:
            {
                var valid = Body(spec, request, NewKey());
                var (what, body) = random.Next(7) switch
                {
                    0 => ("random bytes", HostileBodies.Garbage(random, random.Next(1, 2_048))),
                    1 => ("cut short", HostileBodies.CutInsideField(valid, random)),
                    2 => ("length prefix that lies", HostileBodies.LyingLength(random.Next(16, 100_000))),
                    3 => ("string that is not UTF-8", HostileBodies.InvalidUtf8()),
                    4 => ("groups nested 200 deep", HostileBodies.Nested(200)),
                    5 => ("groups nested 200 deep in field 1", HostileBodies.NestedInField(200)),
                    _ => ("one byte flipped", Flip(valid, random)),
                };
                // A flipped byte may still decode into a valid request; only the raw kinds that cannot are sent.
                if (what == "one byte flipped") return null;
                return new GeneratedRequest(spec, category, what, spec.Province, body, spec.Shape == CallShape.Unary ? TransferDriver.Key(NewKey()) : null,
                    Expectation.Refused, Raw: true);
            }
            case UnknownField:
            {
                var body = HostileBodies.Concat(Body(spec, request, NewKey()), HostileBodies.UnknownField(random.Next(1_000, 5_000), random.Next()));
                return new GeneratedRequest(spec, category, "valid body plus an undefined field", spec.Province, body,
                    spec.Shape == CallShape.Unary ? TransferDriver.Key(NewKey()) : null, Expectation.Refused, Raw: true);
            }
            case Oversized:
            {
                // Just over the 256 KiB receive limit: refused before decoding; a stream may read as reset by the server.
                var body = HostileBodies.Concat(Body(spec, request, NewKey()), [0x92, 0x7D], HostileBodies.Varint(300 * 1024), new byte[300 * 1024]);
                return new GeneratedRequest(spec, category, "300 KiB over the limit", spec.Province, body, TransferDriver.Key(NewKey()),
                    Expectation.Refused, Raw: true);
            }
            case MissingKey:
                return Keyed(spec, category, "no key", request, null);
            case BadKey:
            {
                var key = random.Next(4) switch { 0 => new string('k', 201), 1 => "key\u0000nul", 2 => "   ", _ => "key\r\nwith-newline" };
                return Keyed(spec, category, $"key of {key.Length} characters", request, key);
            }
            case ReusedKey:
            {
                var keys = arena.Made.Where(m => m.Province == spec.Province).ToList();
                if (keys.Count == 0) return null;
                var first = keys[random.Next(keys.Count)];
                return Keyed(spec, category, $"key of {first.Method}", request, first.Key);
            }
            case WrongNode:
                if (spec.WrongNode is null) return null;
                return Keyed(spec, category, $"sent to {spec.WrongNode}", request, NewKey()) with { Province = spec.WrongNode };
            case Replay:
            {
                var matching = arena.Made.Where(m => m.Method == spec.Method).ToList();
                if (matching.Count == 0) return null;
                var made = matching[random.Next(matching.Count)];
                return new GeneratedRequest(spec, category, $"repeat of the arena's {made.Method}", made.Province, made.Body, TransferDriver.Key(made.Key), Expectation.Replayed);
            }
            case BatchShape:
            {
                if (spec.Shape != CallShape.Batch) return null;
                var empty = random.Next(2) == 0;
                var one = Body(spec, request, NewKey());
                // 101 entries, each a valid request under its own key: the batch is refused as a whole, none acts.
                var body = empty ? [] : Enumerable.Range(0, 101).SelectMany(_ => spec.Wrap!(request, NewKey())).ToArray();
                return new GeneratedRequest(spec, category, empty ? "no entries" : "101 entries", spec.Province, empty ? [] : body, null, Expectation.Refused, Raw: true);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(category), category, null);
        }
    }

    private static IReadOnlySet<string> Optional(CallSpec spec) =>
        spec.Optional is null ? RequestBreaker.DefaultOptional : new HashSet<string>(RequestBreaker.DefaultOptional.Concat(spec.Optional), StringComparer.Ordinal);

    /// <summary>A request with its key where the call carries it: the header (unary), the entry (batch), the keyed answer (stream).</summary>
    private static GeneratedRequest Keyed(CallSpec spec, string category, string what, IMessage request, string? key) =>
        new(spec, category, what, spec.Province, Body(spec, request, key ?? ""),
            spec.Shape == CallShape.Unary && key is not null ? TransferDriver.Key(key) : spec.Shape == CallShape.Unary ? null : null,
            Expectation.Refused);

    internal static byte[] Body(CallSpec spec, IMessage request, string key) => spec.Shape switch
    {
        CallShape.Unary => request.ToByteArray(),
        CallShape.Batch => spec.Wrap!(request, key),
        _ => new Gateway.Contracts.Transfer.V1.WorkItemClientMessage
        {
            Answer = new Gateway.Contracts.Transfer.V1.KeyedAnswer { IdempotencyKey = key, Answer = (Gateway.Contracts.Transfer.V1.AnswerWorkItemRequest)request },
        }.ToByteArray(),
    };

    private static byte[] Flip(byte[] valid, Random random)
    {
        var copy = (byte[])valid.Clone();
        if (copy.Length > 0) copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        return copy;
    }
}
