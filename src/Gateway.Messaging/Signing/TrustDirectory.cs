using System.Text.Json;
using System.Text.Json.Serialization;
using Org.BouncyCastle.Crypto;

namespace Gateway.Messaging.Signing;

/// <summary>One public key of a province, as the directory lists it.</summary>
public sealed record DirectoryKey(
    string KeyId,
    string Algorithm,
    AsymmetricKeyParameter PublicKey,
    byte[] PublicKeyInfo,
    DateTimeOffset? ValidFrom,
    DateTimeOffset? ValidTo,
    bool Revoked)
{
    /// <summary>Valid at the instant (from inclusive, to exclusive); open ends are unbounded.</summary>
    public bool ValidAt(DateTimeOffset at) => (ValidFrom is null || at >= ValidFrom) && (ValidTo is null || at < ValidTo);
}

/// <summary>What a province may send: these message types ("*" = any) to these provinces ("*" = any).</summary>
public sealed record SendRule(IReadOnlySet<string> To, IReadOnlySet<string> Types)
{
    public bool Allows(string receiver, string messageType) =>
        (To.Contains("*") || To.Contains(receiver)) && (Types.Contains("*") || Types.Contains(messageType));
}

public sealed record DirectoryProvince(
    string Code,
    string Name,
    string InboxTopic,
    string DeadLetterTopic,
    IReadOnlyList<DirectoryKey> Keys,
    IReadOnlyList<SendRule> MaySend)
{
    public DirectoryKey? FindKey(string keyId) => Keys.FirstOrDefault(k => k.KeyId == keyId);
}

/// <summary>
/// The province directory as data (docs/security.md, "Directory"): which provinces exist, their topics, their public
/// keys with validity and revocation, and what each may send to whom. Parsed strictly: an unknown field, a duplicate
/// code or key id, a key that does not parse or does not fit its algorithm fails the whole file.
/// </summary>
public sealed class TrustDirectory
{
    private readonly Dictionary<string, DirectoryProvince> _byCode;
    private readonly Dictionary<string, DirectoryProvince> _byKeyId;

    public TrustDirectory(IEnumerable<DirectoryProvince> provinces)
    {
        _byCode = new Dictionary<string, DirectoryProvince>(StringComparer.Ordinal);
        _byKeyId = new Dictionary<string, DirectoryProvince>(StringComparer.Ordinal);
        foreach (var p in provinces)
        {
            if (!_byCode.TryAdd(p.Code, p)) throw new FormatException($"province {p.Code} is listed twice");
            foreach (var k in p.Keys)
                if (!_byKeyId.TryAdd(k.KeyId, p))
                    throw new FormatException($"key id '{k.KeyId}' is listed twice (key ids are unique across the directory)");
        }
    }

    public IReadOnlyCollection<DirectoryProvince> Provinces => _byCode.Values;

    public DirectoryProvince? Find(string code) => _byCode.GetValueOrDefault(code);

    /// <summary>The province that lists this key id, whoever claims it.</summary>
    public DirectoryProvince? OwnerOfKey(string keyId) => _byKeyId.GetValueOrDefault(keyId);

    /// <summary>Receipts are always allowed between listed provinces: they only answer what the other side sent.</summary>
    public bool MaySend(string sender, string receiver, string messageType) =>
        _byCode.TryGetValue(sender, out var p) && _byCode.ContainsKey(receiver) &&
        (messageType == nameof(Contracts.Exchange.V1.Receipt) || p.MaySend.Any(r => r.Allows(receiver, messageType)));

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Parses one or more directory files (a folder's files are merged; a province may appear in one only).</summary>
    /// <exception cref="FormatException">Any file is not a valid directory; the message names the file and the entry.</exception>
    public static TrustDirectory Parse(IEnumerable<(string Name, string Json)> files)
    {
        var provinces = new List<DirectoryProvince>();
        foreach (var (name, json) in files)
        {
            DirectoryFile? file;
            try { file = JsonSerializer.Deserialize<DirectoryFile>(json, Json); }
            catch (JsonException ex) { throw new FormatException($"{name}: {ex.Message}", ex); }
            if (file?.Provinces is null) throw new FormatException($"{name}: no \"provinces\" array");
            foreach (var p in file.Provinces)
            {
                try { provinces.Add(ToProvince(p)); }
                catch (FormatException ex) { throw new FormatException($"{name}: province '{p.Code}': {ex.Message}", ex); }
            }
        }
        try { return new TrustDirectory(provinces); }
        catch (FormatException ex) { throw new FormatException($"directory: {ex.Message}", ex); }
    }

    public static TrustDirectory Parse(string json) => Parse([("directory", json)]);

    private static DirectoryProvince ToProvince(DirectoryFile.Province p)
    {
        if (p.Code is not { Length: 2 } code || !code.All(char.IsAsciiDigit)) throw new FormatException("code must be two digits");
        var keys = new List<DirectoryKey>();
        foreach (var k in p.Keys ?? [])
        {
            if (string.IsNullOrWhiteSpace(k.KeyId) || k.KeyId.Length > 64 || k.KeyId.Any(char.IsControl))
                throw new FormatException("a key needs a key_id of 1..64 characters without control characters");
            var algorithm = k.Algorithm ?? SignatureAlgorithms.Sm2Sm3;
            if (!SignatureAlgorithms.IsKnown(algorithm))
                throw new FormatException($"key '{k.KeyId}': unknown algorithm '{algorithm}' (known: {string.Join(", ", SignatureAlgorithms.All)})");
            if (string.IsNullOrWhiteSpace(k.PublicKey)) throw new FormatException($"key '{k.KeyId}': public_key is missing");
            AsymmetricKeyParameter key;
            try { key = SignatureAlgorithms.ParsePublicKey(k.PublicKey); }
            catch (FormatException ex) { throw new FormatException($"key '{k.KeyId}': {ex.Message}", ex); }
            if (SignatureAlgorithms.KeyProblem(algorithm, key) is { } problem) throw new FormatException($"key '{k.KeyId}': {problem}");
            if (k.ValidFrom is { } from && k.ValidTo is { } to && to <= from)
                throw new FormatException($"key '{k.KeyId}': valid_to must be after valid_from");
            keys.Add(new DirectoryKey(k.KeyId, algorithm, key, SignatureAlgorithms.PublicKeyInfo(key), k.ValidFrom, k.ValidTo, k.Revoked));
        }
        var rules = (p.MaySend ?? []).Select(r => new SendRule(
            (r.To ?? []).ToHashSet(StringComparer.Ordinal), (r.Types ?? []).ToHashSet(StringComparer.Ordinal))).ToList();
        // Nodes still route by the naming convention; a listed topic must agree with it (tooling reads topics and ACLs from here).
        var inbox = p.Topics?.Inbox ?? TopicNames.Inbox(code);
        var deadLetter = p.Topics?.DeadLetter ?? TopicNames.DeadLetter(code);
        if (inbox != TopicNames.Inbox(code) || deadLetter != TopicNames.DeadLetter(code))
            throw new FormatException($"topics must be {TopicNames.Inbox(code)} and {TopicNames.DeadLetter(code)} (the nodes route by that convention)");
        return new DirectoryProvince(code, p.Name ?? "", inbox, deadLetter, keys, rules);
    }
}

/// <summary>The JSON shape of a directory file (snake_case; see docs/security.md for an example).</summary>
public sealed class DirectoryFile
{
    public List<Province>? Provinces { get; set; }

    public sealed class Province
    {
        public string? Code { get; set; }
        public string? Name { get; set; }
        public ProvinceTopics? Topics { get; set; }
        public List<Key>? Keys { get; set; }
        public List<Rule>? MaySend { get; set; }
    }

    public sealed class ProvinceTopics
    {
        public string? Inbox { get; set; }
        public string? DeadLetter { get; set; }
    }

    public sealed class Key
    {
        public string? KeyId { get; set; }
        public string? Algorithm { get; set; }
        /// <summary>Base64 X.509 SubjectPublicKeyInfo (DER), or a PEM "PUBLIC KEY" block.</summary>
        public string? PublicKey { get; set; }
        public DateTimeOffset? ValidFrom { get; set; }
        public DateTimeOffset? ValidTo { get; set; }
        public bool Revoked { get; set; }
    }

    public sealed class Rule
    {
        public List<string>? To { get; set; }
        public List<string>? Types { get; set; }
    }

    public string Serialize() => JsonSerializer.Serialize(this, TrustDirectory.Json);
}
