using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Contracts;

/// <summary>
/// The client side of a node's mutual TLS, shared by every client (harness, CLI, console): a client certificate, and
/// the CA(s) that issued the node's server certificate (null: the system's trust store). docs/security.md.
/// </summary>
public sealed class ClientTls
{
    public ClientTls(X509Certificate2? certificate, X509Certificate2Collection? trustedCas)
    {
        Certificate = certificate;
        TrustedCas = trustedCas;
    }

    public X509Certificate2? Certificate { get; }
    public X509Certificate2Collection? TrustedCas { get; }

    /// <summary>
    /// From files: a PEM certificate with its PEM key (beside or inside), or a PKCS#12 file (.p12/.pfx, key inside);
    /// a PEM bundle of CA certificates. Any may be null.
    /// </summary>
    public static ClientTls FromFiles(string? certificatePath, string? keyPath, string? caPath, string? password = null)
    {
        X509Certificate2? certificate = null;
        if (!string.IsNullOrWhiteSpace(certificatePath))
        {
            if (certificatePath.EndsWith(".p12", StringComparison.OrdinalIgnoreCase) || certificatePath.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase))
                certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password);
            else
            {
                using var pem = X509Certificate2.CreateFromPemFile(certificatePath, string.IsNullOrWhiteSpace(keyPath) ? null : keyPath);
                // A PEM key is ephemeral; SslStream wants one it can use on every platform.
                certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
        }
        X509Certificate2Collection? cas = null;
        if (!string.IsNullOrWhiteSpace(caPath))
        {
            cas = [];
            cas.ImportFromPemFile(caPath);
            if (cas.Count == 0) throw new System.Security.Cryptography.CryptographicException($"{caPath} holds no PEM certificate.");
        }
        return new ClientTls(certificate, cas);
    }

    /// <summary>What SocketsHttpHandler.SslOptions takes: the client certificate, and the node's certificate checked against the CAs.</summary>
    public SslClientAuthenticationOptions SslOptions()
    {
        var options = new SslClientAuthenticationOptions();
        if (Certificate is not null) options.ClientCertificates = [Certificate];
        if (TrustedCas is { Count: > 0 } cas) options.RemoteCertificateValidationCallback = (_, cert, _, errors) => Trusted(cert, errors, cas);
        return options;
    }

    /// <summary>A handler carrying this TLS, for GrpcChannelOptions.HttpHandler.</summary>
    public SocketsHttpHandler Handler(SocketsHttpHandler? handler = null)
    {
        handler ??= new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        handler.SslOptions = SslOptions();
        return handler;
    }

    private static bool Trusted(X509Certificate? presented, SslPolicyErrors errors, X509Certificate2Collection cas)
    {
        // The host name must match whatever CA issued it; only the chain is judged against the configured CAs.
        if (presented is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return false;
        var cert = presented as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        foreach (var ca in cas)
            (ca.SubjectName.RawData.AsSpan().SequenceEqual(ca.IssuerName.RawData) ? chain.ChainPolicy.CustomTrustStore : chain.ChainPolicy.ExtraStore).Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(cert);
    }
}
