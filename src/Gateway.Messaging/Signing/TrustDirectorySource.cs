using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Crypto;

namespace Gateway.Messaging.Signing;

/// <summary>Settings of envelope signing ("Gateway:DirectoryPath", "Gateway:Signing:*"; docs/security.md).</summary>
public sealed class SigningOptions
{
    public const string Section = "Gateway:Signing";
    public const string DirectoryPathSetting = "Gateway:DirectoryPath";

    /// <summary>A directory file, or a folder whose <c>*.json</c> files are merged. Watched: changes apply while the node runs.</summary>
    public string? DirectoryPath { get; set; }

    /// <summary>PEM file of this node's private key (PKCS#8, or OpenSSL EC/RSA). Watched like the directory.</summary>
    public string? PrivateKeyPath { get; set; }

    /// <summary>The private key's PEM text itself, for a secret store that hands settings, not files. Not watched.</summary>
    public string? PrivateKey { get; set; }

    /// <summary>Which of this province's directory keys the private key is; default: the one whose public key matches.</summary>
    public string? KeyId { get; set; }

    /// <summary>How old an envelope's sent_at may be when its message id was never seen (default 7 days).</summary>
    public TimeSpan FreshnessPast { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How far ahead of this node's clock an envelope's sent_at may be (clock skew; default 5 minutes).</summary>
    public TimeSpan FreshnessAhead { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Measurement only: no signing and no signature check (the directory's sender and may-send rules still hold), so
    /// the benchmark can set the same run with signatures off beside them on. Refused unless the node uses the embedded
    /// broker on loopback.
    /// </summary>
    public bool Disabled { get; set; }

    /// <summary>The settings this node lacks to sign and verify, in words an operator can act on.</summary>
    public IEnumerable<string> Missing()
    {
        if (string.IsNullOrWhiteSpace(DirectoryPath))
            yield return $"{DirectoryPathSetting} (the province directory: provinces, their public keys and what each may send; docs/security.md)";
        if (string.IsNullOrWhiteSpace(PrivateKeyPath) && string.IsNullOrWhiteSpace(PrivateKey))
            yield return $"{Section}:PrivateKeyPath or {Section}:PrivateKey (this node's signing key, PEM; never committed)";
    }
}

/// <summary>The node's own key as the directory names it.</summary>
public sealed record NodeSigningKey(string KeyId, string Algorithm, AsymmetricKeyParameter PrivateKey);

/// <summary>What the node signs and verifies with, replaced whole on every successful reload.</summary>
public sealed record TrustState(TrustDirectory Directory, NodeSigningKey SigningKey, int Generation);

/// <summary>
/// Loads the directory and this node's private key, and watches both (like the calendar directory): adding a province,
/// rotating or revoking a key is a file change picked up without a restart. At start anything unreadable stops the node;
/// later, a change that does not load (bad JSON, the node's key not listed) is logged and what is in force stays.
/// </summary>
public sealed class TrustDirectorySource : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);
    private readonly SigningOptions _options;
    private readonly string _self;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Timer _debounce;
    private readonly Lock _reload = new();
    private volatile TrustState _state;

    public TrustDirectorySource(SigningOptions options, string self, TimeProvider time, ILogger logger)
    {
        _options = options;
        _self = self;
        _time = time;
        _logger = logger;
        _state = Load(generation: 1);
        _debounce = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        Watch(options.DirectoryPath!);
        if (!string.IsNullOrWhiteSpace(options.PrivateKeyPath)) Watch(options.PrivateKeyPath);
        _logger.LogInformation("Province directory loaded from {Path}: {Count} province(s); this node signs with {KeyId} ({Algorithm})",
            options.DirectoryPath, _state.Directory.Provinces.Count, _state.SigningKey.KeyId, _state.SigningKey.Algorithm);
    }

    public TrustState Current => _state;

    public SigningOptions Options => _options;

    /// <summary>Reads directory and key again now; false (and the state in force kept) when they do not load.</summary>
    public bool Reload()
    {
        lock (_reload)
        {
            try
            {
                var next = Load(_state.Generation + 1);
                _state = next;
                _logger.LogInformation("Province directory reloaded (generation {Generation}): {Count} province(s); signing with {KeyId}",
                    next.Generation, next.Directory.Provinces.Count, next.SigningKey.KeyId);
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                _logger.LogError("The province directory or signing key could not be reloaded; the ones in force stay: {Error}", ex.Message);
                return false;
            }
        }
    }

    private TrustState Load(int generation)
    {
        var path = _options.DirectoryPath ?? throw new FormatException($"{SigningOptions.DirectoryPathSetting} is not set");
        IEnumerable<string> files = Directory.Exists(path)
            ? Directory.GetFiles(path, "*.json").Order(StringComparer.Ordinal)
            : File.Exists(path) ? [path] : throw new FormatException($"{SigningOptions.DirectoryPathSetting}: '{path}' is neither a file nor a folder");
        var directory = TrustDirectory.Parse(files.Select(f => (Path.GetFileName(f), File.ReadAllText(f))).ToList());
        var pem = !string.IsNullOrWhiteSpace(_options.PrivateKey) ? _options.PrivateKey
            : File.ReadAllText(_options.PrivateKeyPath ?? throw new FormatException("no private key configured"));
        return new TrustState(directory, SelectKey(directory, SignatureAlgorithms.ParsePrivateKey(pem)), generation);
    }

    /// <summary>This province's directory key whose public key matches the private key (the configured id, if any).</summary>
    private NodeSigningKey SelectKey(TrustDirectory directory, AsymmetricKeyParameter privateKey)
    {
        var own = directory.Find(_self) ?? throw new FormatException($"the directory does not list this node's province {_self}");
        var publicInfo = SignatureAlgorithms.PublicKeyInfo(SignatureAlgorithms.PublicOf(privateKey));
        var matching = own.Keys.Where(k => k.PublicKeyInfo.AsSpan().SequenceEqual(publicInfo) && !k.Revoked)
            .Where(k => _options.KeyId is not { Length: > 0 } id || k.KeyId == id).ToList();
        var now = _time.GetUtcNow();
        var key = matching.Where(k => k.ValidAt(now)).MaxBy(k => k.ValidFrom ?? DateTimeOffset.MinValue)
            ?? matching.MaxBy(k => k.ValidFrom ?? DateTimeOffset.MinValue)
            ?? throw new FormatException(_options.KeyId is { Length: > 0 } wanted
                ? $"province {_self}'s key '{wanted}' in the directory is missing, revoked or not this node's private key"
                : $"the directory lists no unrevoked key of province {_self} matching this node's private key");
        if (!key.ValidAt(now)) _logger.LogWarning("This node's signing key {KeyId} is not valid now: receivers will refuse its envelopes", key.KeyId);
        return new NodeSigningKey(key.KeyId, key.Algorithm, privateKey);
    }

    private void Watch(string path)
    {
        var full = Path.GetFullPath(path);
        var watcher = Directory.Exists(full)
            ? new FileSystemWatcher(full, "*.json")
            : new FileSystemWatcher(Path.GetDirectoryName(full)!, Path.GetFileName(full));
        watcher.NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size;
        FileSystemEventHandler changed = (_, _) => _debounce.Change(Settle, Timeout.InfiniteTimeSpan); // writes come in bursts
        watcher.Created += changed;
        watcher.Changed += changed;
        watcher.Deleted += changed;
        watcher.Renamed += (_, _) => _debounce.Change(Settle, Timeout.InfiniteTimeSpan);
        watcher.EnableRaisingEvents = true;
        _watchers.Add(watcher);
    }

    public void Dispose()
    {
        foreach (var w in _watchers) w.Dispose();
        _debounce.Dispose();
    }
}
