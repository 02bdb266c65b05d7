using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Gateway.Node.Infrastructure;

/// <summary>Settings of the node's gRPC transport (section "Gateway:Tls", plus "Gateway:AllowPlaintext"); docs/security.md.</summary>
public sealed class TlsOptions
{
    public const string Section = "Gateway:Tls";
    public const string AllowPlaintextSetting = "Gateway:AllowPlaintext";

    /// <summary>The node's server certificate: a PEM file (chain allowed; key in <see cref="Key"/> or in the same file) or PKCS#12 (.p12/.pfx).</summary>
    public string? Certificate { get; set; }

    /// <summary>The PEM private key of <see cref="Certificate"/>, when it is not in the certificate file.</summary>
    public string? Key { get; set; }

    /// <summary>Password of a PKCS#12 certificate file (or of an encrypted PEM key).</summary>
    public string? Password { get; set; }

    /// <summary>PEM file of the CA certificate(s) whose client certificates the node accepts (roots and intermediates).</summary>
    public string? ClientCa { get; set; }

    /// <summary>
    /// Refuse a connection without a client certificate at the handshake (true), instead of per call with
    /// PERMISSION_DENIED NO_CLIENT_CERTIFICATE (false, the default: health and reflection stay open to probes).
    /// </summary>
    public bool Required { get; set; }

    /// <summary>Serve plaintext h2c on addresses other than loopback (a node behind its own trusted network only).</summary>
    public bool AllowPlaintext { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Certificate);

    public static TlsOptions From(IConfiguration config)
    {
        var options = new TlsOptions();
        config.GetSection(Section).Bind(options);
        options.AllowPlaintext = config.GetValue<bool>(AllowPlaintextSetting);
        return options;
    }
}

/// <summary>
/// The node's transport rule: HTTPS with client certificates when <see cref="TlsOptions.Certificate"/> is set;
/// plaintext h2c only on loopback unless <see cref="TlsOptions.AllowPlaintext"/>. A node that breaks the rule does not
/// start (<see cref="NodeConfigurationException"/>).
/// </summary>
public sealed class TransportSecurity
{
    private readonly X509Certificate2Collection _roots = [];
    private readonly X509Certificate2Collection _intermediates = [];

    private TransportSecurity(TlsOptions options) => Options = options;

    public TlsOptions Options { get; }

    /// <summary>The server certificate (null when TLS is off).</summary>
    public X509Certificate2? ServerCertificate { get; private set; }

    /// <summary>Reads the settings, checks the listen addresses, loads the certificates and configures Kestrel.</summary>
    public static TransportSecurity Configure(WebApplicationBuilder builder)
    {
        var options = TlsOptions.From(builder.Configuration);
        var security = new TransportSecurity(options);
        var problems = CheckAddresses(ListenAddresses(builder.Configuration), options);
        if (options.Enabled) security.Load(problems);
        else if (!string.IsNullOrWhiteSpace(options.ClientCa))
            problems.Add("Gateway:Tls:ClientCa is set but Gateway:Tls:Certificate is not: set the node's certificate to turn TLS on");
        if (problems.Count > 0)
            throw new NodeConfigurationException("The node cannot start: " + string.Join("; ", problems) + ". See docs/security.md (Transport and roles).");

        if (options.Enabled)
        {
            builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(https =>
            {
                https.ServerCertificate = security.ServerCertificate;
                https.SslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
                https.ClientCertificateMode = options.Required ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.AllowCertificate;
                https.CheckCertificateRevocation = false; // no CRL/OCSP yet: revoke by re-issuing the CA or refusing the role (docs/security.md)
                https.ClientCertificateValidation = (cert, _, _) => security.IsTrustedClient(cert);
            }));
        }
        builder.Services.AddSingleton(security);
        return security;
    }

    /// <summary>After start: what Kestrel really bound obeys the plaintext rule too (an address set in code, a port variable).</summary>
    public void CheckBound(WebApplication app)
    {
        var bound = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var problems = CheckAddresses(bound, Options);
        if (problems.Count > 0)
            throw new NodeConfigurationException("The node cannot serve: " + string.Join("; ", problems) + ". See docs/security.md (Transport and roles).");
    }

    /// <summary>The client certificate chains to one of the configured CAs, and may authenticate a client.</summary>
    public bool IsTrustedClient(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
        chain.ChainPolicy.ExtraStore.AddRange(_intermediates);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2")); // clientAuth, when the certificate lists usages
        return chain.Build(certificate);
    }

    private void Load(List<string> problems)
    {
        try
        {
            ServerCertificate = LoadCertificate(Options.Certificate!, Options.Key, Options.Password);
            if (!ServerCertificate.HasPrivateKey) problems.Add($"Gateway:Tls:Certificate {Options.Certificate} has no private key (set Gateway:Tls:Key)");
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            problems.Add($"Gateway:Tls:Certificate {Options.Certificate} does not load: {ex.Message}");
        }
        if (string.IsNullOrWhiteSpace(Options.ClientCa))
        {
            problems.Add("Gateway:Tls:ClientCa (the CA certificates whose client certificates this node accepts) is required with TLS");
            return;
        }
        try
        {
            var all = new X509Certificate2Collection();
            all.ImportFromPemFile(Options.ClientCa);
            foreach (var ca in all)
                (ca.SubjectName.RawData.AsSpan().SequenceEqual(ca.IssuerName.RawData) ? _roots : _intermediates).Add(ca);
            if (_roots.Count == 0) problems.Add($"Gateway:Tls:ClientCa {Options.ClientCa} holds no self-signed root CA certificate");
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            problems.Add($"Gateway:Tls:ClientCa {Options.ClientCa} does not load: {ex.Message}");
        }
    }

    /// <summary>PKCS#12 by extension (.p12, .pfx), else PEM certificate(s) with the key beside or inside.</summary>
    public static X509Certificate2 LoadCertificate(string path, string? keyPath, string? password)
    {
        if (path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase))
            return X509CertificateLoader.LoadPkcs12FromFile(path, password);
        var pem = string.IsNullOrEmpty(password)
            ? X509Certificate2.CreateFromPemFile(path, string.IsNullOrWhiteSpace(keyPath) ? null : keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(path, password, string.IsNullOrWhiteSpace(keyPath) ? null : keyPath);
        // A PEM key is ephemeral; SslStream wants a key it can use on every platform.
        using (pem) return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>
    /// Where Kestrel will listen, in its order of precedence: "Kestrel:Endpoints:*:Url" (which override the rest), else
    /// "urls", else "http_ports"/"https_ports" (every address). What it really bound is checked again after start.
    /// </summary>
    public static List<string> ListenAddresses(IConfiguration config)
    {
        var endpoints = config.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>().Where(u => u.Length > 0).ToList();
        if (endpoints.Count > 0) return endpoints;
        if (config["urls"] is { Length: > 0 } urls) return urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var addresses = new List<string>();
        foreach (var (key, scheme) in new[] { ("http_ports", "http"), ("https_ports", "https") })
            if (config[key] is { Length: > 0 } ports)
                addresses.AddRange(ports.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"{scheme}://*:{p}"));
        return addresses;
    }

    /// <summary>Plaintext only on loopback (unless allowed); HTTPS only with a certificate.</summary>
    public static List<string> CheckAddresses(IEnumerable<string> addresses, TlsOptions options)
    {
        var problems = new List<string>();
        foreach (var address in addresses)
        {
            BindingAddress parsed;
            try { parsed = BindingAddress.Parse(address); }
            catch (FormatException) { problems.Add($"'{address}' is not a listen address"); continue; }
            var https = parsed.Scheme.Equals("https", StringComparison.OrdinalIgnoreCase);
            if (https && !options.Enabled)
                problems.Add($"{address} is HTTPS but Gateway:Tls:Certificate is not set");
            else if (!https && !options.AllowPlaintext && !IsLoopback(parsed))
                problems.Add($"{address} would serve plaintext h2c beyond loopback: use https:// with Gateway:Tls:Certificate and Gateway:Tls:ClientCa, "
                    + "listen on 127.0.0.1, or set Gateway:AllowPlaintext=true on a network you trust");
        }
        return problems;
    }

    private static bool IsLoopback(BindingAddress address)
    {
        if (address.IsUnixPipe || address.IsNamedPipe) return true;
        var host = address.Host.Trim('[', ']');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }
}
