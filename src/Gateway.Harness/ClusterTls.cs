using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Contracts;
using Gateway.Node.Grpc;
using Grpc.Net.Client;

namespace Gateway.Harness;

/// <summary>
/// A private CA for one local cluster, generated at start: a server certificate per node and client certificates per
/// caller role, written as PEM to a temporary folder deleted on dispose. Nothing secret is committed.
/// </summary>
public sealed class ClusterTls : IDisposable
{
    private static readonly TimeSpan Validity = TimeSpan.FromDays(7);
    private readonly X509Certificate2 _ca;

    private ClusterTls(string folder, X509Certificate2 ca)
    {
        Folder = folder;
        _ca = ca;
        CaPath = Path.Combine(folder, "ca.pem");
        File.WriteAllText(CaPath, ca.ExportCertificatePem());
    }

    /// <summary>The run's folder: ca.pem, and a .pem/.key pair per certificate issued.</summary>
    public string Folder { get; }

    /// <summary>The CA certificate (PEM): every node's Gateway:Tls:ClientCa and every client's trust.</summary>
    public string CaPath { get; }

    public X509Certificate2 Ca => _ca;

    public static ClusterTls Create(string name = "gateway test CA")
    {
        var folder = Path.Combine(Path.GetTempPath(), $"gateway-tls-{Guid.NewGuid():N}");
        var dir = Directory.CreateDirectory(folder);
        if (!OperatingSystem.IsWindows()) dir.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        return new ClusterTls(folder, NewCa(name));
    }

    /// <summary>A node's server certificate for 127.0.0.1 and localhost (the files Gateway:Tls:Certificate and Gateway:Tls:Key name).</summary>
    public (string Certificate, string Key) IssueServer(string province)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        san.AddDnsName("localhost");
        using var cert = Issue($"CN=gateway node {province}", san, serverAuth: true);
        return Write($"node-{province}", cert);
    }

    /// <summary>A client certificate with the role URI <c>urn:gateway:role:&lt;role&gt;:&lt;name&gt;</c>, as files (for the CLI and console).</summary>
    public (string Certificate, string Key) IssueClientFiles(CallerRole role, string name)
    {
        using var cert = IssueClient(role, name);
        return Write($"{role.ToString().ToLowerInvariant()}-{name}", cert);
    }

    /// <summary>A client certificate for the role (a system's name is its province code); null role URI when <paramref name="role"/> is None.</summary>
    public X509Certificate2 IssueClient(CallerRole role, string name)
    {
        var san = new SubjectAlternativeNameBuilder();
        if (role != CallerRole.None) san.AddUri(new Uri(CallerIdentity.Uri(role, name)));
        else san.AddDnsName(name);
        return Issue($"CN={name}", san, serverAuth: false);
    }

    /// <summary>The client side for a caller: its certificate, trusting this CA.</summary>
    public ClientTls Client(CallerRole role, string name) => new(Reloadable(IssueClient(role, name)), [_ca]);

    /// <summary>No client certificate, trusting this CA (what a caller without a certificate sees).</summary>
    public ClientTls Anonymous() => new(null, [_ca]);

    /// <summary>A channel to the node with the given client side.</summary>
    public static GrpcChannel Channel(Uri address, ClientTls tls) => GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = tls.Handler() });

    private X509Certificate2 Issue(string subject, SubjectAlternativeNameBuilder san, bool serverAuth)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(_ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.Add(Validity), serial);
        return Reloadable(issued.CopyWithPrivateKey(key));
    }

    private static X509Certificate2 NewCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=gateway", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        // Outlives every certificate it issues (a leaf may not end after its issuer).
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.Add(Validity * 2));
        return Reloadable(ca);
    }

    /// <summary>Through PKCS#12, so the private key is usable by SslStream and for signing on every platform.</summary>
    private static X509Certificate2 Reloadable(X509Certificate2 cert)
    {
        using (cert) return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    private (string Certificate, string Key) Write(string name, X509Certificate2 cert)
    {
        var certPath = Path.Combine(Folder, name + ".pem");
        var keyPath = Path.Combine(Folder, name + ".key");
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return (certPath, keyPath);
    }

    public void Dispose()
    {
        _ca.Dispose();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
