using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.GM;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Gateway.Messaging.Signing;

/// <summary>
/// The signature algorithms an envelope may carry (the id goes in <c>signature.type</c>). SM2 over SM3 (GM/T 0003 /
/// GM/T 0004, signer id per GM/T 0009) is the default; ECDSA P-256 and RSA are configured alternatives on the same path.
/// Signature values are DER (SM2 and ECDSA: SEQUENCE of r, s) or the raw RSA block.
/// </summary>
public static class SignatureAlgorithms
{
    public const string Sm2Sm3 = "SM2-SM3";
    public const string EcdsaP256Sha256 = "ECDSA-P256-SHA256";
    public const string RsaPssSha256 = "RSA-PSS-SHA256";
    public const string RsaPkcs1Sha256 = "RSA-PKCS1-SHA256";

    public static readonly IReadOnlyList<string> All = [Sm2Sm3, EcdsaP256Sha256, RsaPssSha256, RsaPkcs1Sha256];

    /// <summary>GM/T 0009's default signer id (ENTL = 128 bits), the one every node uses in Z_A.</summary>
    public static ReadOnlySpan<byte> Sm2UserId => "1234567812345678"u8;

    private const int MinRsaBits = 2048;
    private static readonly SecureRandom Random = new();

    public static bool IsKnown(string? algorithm) => algorithm is not null && All.Contains(algorithm);

    public static AsymmetricCipherKeyPair Generate(string algorithm)
    {
        switch (algorithm)
        {
            case Sm2Sm3:
            case EcdsaP256Sha256:
                var ec = new ECKeyPairGenerator("EC");
                ec.Init(new ECKeyGenerationParameters(algorithm == Sm2Sm3 ? GMObjectIdentifiers.sm2p256v1 : X9ObjectIdentifiers.Prime256v1, Random));
                return ec.GenerateKeyPair();
            case RsaPssSha256:
            case RsaPkcs1Sha256:
                var rsa = new RsaKeyPairGenerator();
                rsa.Init(new RsaKeyGenerationParameters(BigInteger.ValueOf(65537), Random, MinRsaBits, 100));
                return rsa.GenerateKeyPair();
            default:
                throw new ArgumentException($"Unknown signature algorithm '{algorithm}'.", nameof(algorithm));
        }
    }

    // SM2Signer's Init works out the public point from the private key (a full scalar multiplication) and its Z value;
    // the signer resets to that state after each signature, so each thread keeps the one for the key it last used.
    [ThreadStatic] private static (AsymmetricKeyParameter Key, ISigner Signer)? t_sm2;

    public static byte[] Sign(string algorithm, AsymmetricKeyParameter privateKey, ReadOnlySpan<byte> data)
    {
        if (algorithm == Sm2Sm3)
        {
            if (t_sm2 is not { } cached || !ReferenceEquals(cached.Key, privateKey))
            {
                var sm2 = Create(algorithm);
                sm2.Init(true, new ParametersWithID(new ParametersWithRandom(privateKey, Random), Sm2UserId.ToArray()));
                t_sm2 = cached = (privateKey, sm2);
            }
            try
            {
                cached.Signer.BlockUpdate(data);
                return cached.Signer.GenerateSignature();
            }
            catch
            {
                t_sm2 = null; // never reuse a signer left mid-message
                throw;
            }
        }
        var signer = Create(algorithm);
        ICipherParameters p = new ParametersWithRandom(privateKey, Random);
        if (algorithm == Sm2Sm3) p = new ParametersWithID(p, Sm2UserId.ToArray());
        signer.Init(true, algorithm == RsaPkcs1Sha256 ? privateKey : p);
        signer.BlockUpdate(data);
        return signer.GenerateSignature();
    }

    /// <summary>False for a wrong, truncated or malformed signature; never throws for bad input.</summary>
    public static bool Verify(string algorithm, AsymmetricKeyParameter publicKey, ReadOnlySpan<byte> data, byte[] signature)
    {
        if (signature.Length == 0 || signature.Length > 1024) return false;
        try
        {
            var signer = Create(algorithm);
            signer.Init(false, algorithm == Sm2Sm3 ? new ParametersWithID(publicKey, Sm2UserId.ToArray()) : publicKey);
            signer.BlockUpdate(data);
            return signer.VerifySignature(signature);
        }
        catch (Exception ex) when (ex is CryptoException or ArgumentException or InvalidOperationException or IOException or FormatException)
        {
            return false;
        }
    }

    private static ISigner Create(string algorithm) => algorithm switch
    {
        Sm2Sm3 => new SM2Signer(new SM3Digest()),
        EcdsaP256Sha256 => new DsaDigestSigner(new ECDsaSigner(), new Sha256Digest()),
        RsaPssSha256 => new PssSigner(new RsaBlindedEngine(), new Sha256Digest(), 32),
        RsaPkcs1Sha256 => new RsaDigestSigner(new Sha256Digest()),
        _ => throw new ArgumentException($"Unknown signature algorithm '{algorithm}'.", nameof(algorithm)),
    };

    /// <summary>Why this public key cannot be used with the algorithm, or null when it can.</summary>
    public static string? KeyProblem(string algorithm, AsymmetricKeyParameter key) => (algorithm, key) switch
    {
        (Sm2Sm3, ECPublicKeyParameters ec) when IsCurve(ec, GMObjectIdentifiers.sm2p256v1) => null,
        (EcdsaP256Sha256, ECPublicKeyParameters ec) when IsCurve(ec, X9ObjectIdentifiers.Prime256v1) => null,
        (RsaPssSha256 or RsaPkcs1Sha256, RsaKeyParameters { IsPrivate: false } rsa) when rsa.Modulus.BitLength >= MinRsaBits => null,
        (RsaPssSha256 or RsaPkcs1Sha256, RsaKeyParameters) => $"an RSA key must have at least {MinRsaBits} bits",
        _ when !IsKnown(algorithm) => $"unknown algorithm '{algorithm}' (known: {string.Join(", ", All)})",
        _ => $"the key is not a {algorithm} public key",
    };

    private static bool IsCurve(ECPublicKeyParameters key, DerObjectIdentifier curve)
    {
        if (key.PublicKeyParamSet is { } set) return set.Equals(curve);
        var named = ECNamedCurveTable.GetByOid(curve);
        return named is not null && key.Parameters.Curve.Equals(named.Curve) && key.Parameters.G.Equals(named.G);
    }

    /// <summary>X.509 SubjectPublicKeyInfo (DER) of a public key: the form the directory lists.</summary>
    public static byte[] PublicKeyInfo(AsymmetricKeyParameter publicKey) =>
        SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(publicKey).GetDerEncoded();

    /// <summary>A public key from base64 SubjectPublicKeyInfo or a PEM "PUBLIC KEY" block.</summary>
    /// <exception cref="FormatException">The text is neither.</exception>
    public static AsymmetricKeyParameter ParsePublicKey(string text)
    {
        try
        {
            var der = text.Contains("-----BEGIN", StringComparison.Ordinal) ? PemBody(text, "PUBLIC KEY") : Convert.FromBase64String(text.Trim());
            return PublicKeyFactory.CreateKey(der);
        }
        catch (Exception ex) when (ex is not FormatException)
        {
            throw new FormatException($"not a SubjectPublicKeyInfo public key: {ex.Message}", ex);
        }
    }

    /// <summary>A private key from PEM: PKCS#8 "PRIVATE KEY", or OpenSSL's "EC PRIVATE KEY" / "RSA PRIVATE KEY".</summary>
    /// <exception cref="FormatException">The text holds no private key.</exception>
    public static AsymmetricKeyParameter ParsePrivateKey(string pem)
    {
        object? read;
        try { read = new PemReader(new StringReader(pem)).ReadObject(); }
        catch (Exception ex) { throw new FormatException($"not a PEM private key: {ex.Message}", ex); }
        return read switch
        {
            AsymmetricCipherKeyPair pair => pair.Private,
            AsymmetricKeyParameter { IsPrivate: true } key => key,
            _ => throw new FormatException("the PEM text holds no private key"),
        };
    }

    /// <summary>The public half of a private key (EC: Q = dG; RSA: modulus and public exponent).</summary>
    public static AsymmetricKeyParameter PublicOf(AsymmetricKeyParameter privateKey) => privateKey switch
    {
        ECPrivateKeyParameters ec => ec.PublicKeyParamSet is { } set
            ? new ECPublicKeyParameters("EC", ec.Parameters.G.Multiply(ec.D).Normalize(), set)
            : new ECPublicKeyParameters("EC", ec.Parameters.G.Multiply(ec.D).Normalize(), ec.Parameters),
        RsaPrivateCrtKeyParameters rsa => new RsaKeyParameters(false, rsa.Modulus, rsa.PublicExponent),
        _ => throw new FormatException("only EC (SM2, P-256) and RSA private keys with CRT parameters are supported"),
    };

    public static string PrivateKeyPem(AsymmetricKeyParameter privateKey) =>
        Pem("PRIVATE KEY", PrivateKeyInfoFactory.CreatePrivateKeyInfo(privateKey).GetDerEncoded());

    public static string PublicKeyPem(AsymmetricKeyParameter publicKey) => Pem("PUBLIC KEY", PublicKeyInfo(publicKey));

    private static string Pem(string label, byte[] der) =>
        $"-----BEGIN {label}-----\n{Convert.ToBase64String(der, Base64FormattingOptions.InsertLineBreaks).Replace("\r\n", "\n")}\n-----END {label}-----\n";

    private static byte[] PemBody(string text, string label)
    {
        var begin = $"-----BEGIN {label}-----";
        var end = $"-----END {label}-----";
        var start = text.IndexOf(begin, StringComparison.Ordinal);
        var stop = text.IndexOf(end, StringComparison.Ordinal);
        if (start < 0 || stop < start) throw new FormatException($"no PEM '{label}' block");
        return Convert.FromBase64String(text[(start + begin.Length)..stop].Trim());
    }
}
