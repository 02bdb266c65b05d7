using Gateway.Contracts.Exchange.V1;
using Gateway.Messaging;
using Gateway.Messaging.Signing;
using Google.Protobuf;

namespace Gateway.Harness;

/// <summary>
/// The signing keys and province directory of one local cluster: a fresh key pair per province, generated at start and
/// written with the directory to a temporary folder that is deleted on dispose, so nothing secret is ever committed.
/// Tests use it to sign envelopes they inject as a province, and to rotate or revoke keys while the nodes run (the
/// nodes watch both files).
/// </summary>
public sealed class ClusterKeys : IDisposable
{
    private readonly Lock _write = new();
    private readonly DirectoryFile _file;
    private readonly Dictionary<string, NodeSigningKey> _inUse = new(StringComparer.Ordinal);
    private int _next;

    private ClusterKeys(string folder, DirectoryFile file)
    {
        Folder = folder;
        _file = file;
    }

    /// <summary>The run's folder: <c>directory/directory.json</c> and <c>keys/&lt;province&gt;.pem</c>.</summary>
    public string Folder { get; }

    /// <summary>Gateway:DirectoryPath of every node (a folder with one file).</summary>
    public string DirectoryPath => Path.Combine(Folder, "directory");

    public string DirectoryFilePath => Path.Combine(DirectoryPath, "directory.json");

    /// <summary>Gateway:Signing:PrivateKeyPath of the province's node.</summary>
    public string KeyPath(string province) => Path.Combine(Folder, "keys", $"{province}.pem");

    /// <param name="keysValidFrom">When the members' first keys become valid (default: a day ago); a run on a
    /// <see cref="ClusterClock"/> set in the past needs keys valid from before its start.</param>
    public static ClusterKeys Create(IEnumerable<string> provinces, string algorithm, DateTimeOffset? keysValidFrom = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"gateway-keys-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(folder, "directory"));
        var keysFolder = Directory.CreateDirectory(Path.Combine(folder, "keys"));
        if (!OperatingSystem.IsWindows())
            keysFolder.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var keys = new ClusterKeys(folder, new DirectoryFile { Provinces = [] }) { _firstKeysValidFrom = keysValidFrom };
        foreach (var province in provinces) keys.AddProvinceUnwritten(province, algorithm);
        keys.WriteDirectory();
        return keys;
    }

    /// <summary>A new member: its entry (code, topics, a fresh key) written to the directory the nodes watch, and its key file.</summary>
    public void AddProvince(string province, string algorithm = SignatureAlgorithms.Sm2Sm3)
    {
        lock (_write)
        {
            AddProvinceUnwritten(province, algorithm);
            WriteDirectory();
        }
    }

    private void AddProvinceUnwritten(string province, string algorithm)
    {
        _file.Provinces!.Add(new DirectoryFile.Province
        {
            Code = province,
            Topics = new DirectoryFile.ProvinceTopics { Inbox = TopicNames.Inbox(province), DeadLetter = TopicNames.DeadLetter(province) },
            Keys = [],
            // The test exchange lets every member send everything to every other; the trust rules still apply.
            MaySend = [new DirectoryFile.Rule { To = ["*"], Types = ["*"] }],
        });
        var key = AddKeyUnwritten(province, algorithm, _firstKeysValidFrom ?? DateTimeOffset.UtcNow.AddDays(-1), null);
        _inUse[province] = key;
        WriteKey(province, key);
    }

    private DateTimeOffset? _firstKeysValidFrom;

    /// <summary>The key the province's node signs with now.</summary>
    public NodeSigningKey Current(string province)
    {
        lock (_write) return _inUse[province];
    }

    /// <summary>Signs the envelope as its sender province's node would (the sender's current key).</summary>
    public Envelope Sign(Envelope envelope)
    {
        EnvelopeSigner.Sign(envelope, Current(envelope.SenderProvince));
        return envelope;
    }

    /// <summary>The envelope signed as its sender, serialised for a raw Kafka producer.</summary>
    public byte[] Signed(Envelope envelope) => Sign(envelope).ToByteArray();

    /// <summary>A fresh key the directory does not list (an attacker's, or another exchange's).</summary>
    public static NodeSigningKey Stranger(string keyId, string algorithm = SignatureAlgorithms.Sm2Sm3) =>
        new(keyId, algorithm, SignatureAlgorithms.Generate(algorithm).Private);

    /// <summary>Lists a new key of the province in the directory (not yet used by its node: see <see cref="Use"/>).</summary>
    public NodeSigningKey AddKey(string province, string algorithm = SignatureAlgorithms.Sm2Sm3, DateTimeOffset? validFrom = null, DateTimeOffset? validTo = null)
    {
        lock (_write)
        {
            var key = AddKeyUnwritten(province, algorithm, validFrom ?? DateTimeOffset.UtcNow.AddDays(-1), validTo);
            WriteDirectory();
            return key;
        }
    }

    /// <summary>The province's node signs with this key from now on (its key file is replaced; the node reloads it).</summary>
    public void Use(string province, NodeSigningKey key)
    {
        lock (_write)
        {
            _inUse[province] = key;
            WriteKey(province, key);
        }
    }

    /// <summary>Marks the key revoked in the directory; every node stops accepting it once it reloads.</summary>
    public void Revoke(string keyId)
    {
        lock (_write)
        {
            var key = _file.Provinces!.SelectMany(p => p.Keys!).Single(k => k.KeyId == keyId);
            key.Revoked = true;
            WriteDirectory();
        }
    }

    private NodeSigningKey AddKeyUnwritten(string province, string algorithm, DateTimeOffset validFrom, DateTimeOffset? validTo)
    {
        var pair = SignatureAlgorithms.Generate(algorithm);
        var keyId = $"{province}-k{++_next}";
        _file.Provinces!.Single(p => p.Code == province).Keys!.Add(new DirectoryFile.Key
        {
            KeyId = keyId,
            Algorithm = algorithm,
            PublicKey = Convert.ToBase64String(SignatureAlgorithms.PublicKeyInfo(pair.Public)),
            ValidFrom = validFrom,
            ValidTo = validTo,
        });
        return new NodeSigningKey(keyId, algorithm, pair.Private);
    }

    private void WriteDirectory() => WriteAtomically(DirectoryFilePath, _file.Serialize());

    private void WriteKey(string province, NodeSigningKey key) =>
        WriteAtomically(KeyPath(province), SignatureAlgorithms.PrivateKeyPem(key.PrivateKey), secret: true);

    /// <summary>Write beside, then rename over: a watcher never reads half a file.</summary>
    private static void WriteAtomically(string path, string text, bool secret = false)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        if (secret && !OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
