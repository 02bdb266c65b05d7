using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Node.Grpc;

/// <summary>Who may call: the province's business system, an operator, a read-only auditor (docs/security.md, "Transport and roles").</summary>
[Flags]
public enum CallerRole
{
    None = 0,
    System = 1,
    Operator = 2,
    Auditor = 4,
}

/// <summary>The caller a client certificate names: its role and name (the province code for a system).</summary>
public sealed record CallerIdentity(CallerRole Role, string Name)
{
    /// <summary>The mapping rule: one SAN URI <c>urn:gateway:role:&lt;system|operator|auditor&gt;:&lt;name&gt;</c>.</summary>
    public const string UriPrefix = "urn:gateway:role:";
    public const int MaxNameLength = 64;

    /// <summary>The SAN URI that gives a certificate this role and name (what a CA puts in the certificates it issues).</summary>
    public static string Uri(CallerRole role, string name) => $"{UriPrefix}{role.ToString().ToLowerInvariant()}:{name}";

    /// <summary>
    /// The identity of a certificate that already chained to the node's client CA, or null with why not: no role URI,
    /// several, an unknown role, or a name that is empty, over 64 characters or not [A-Za-z0-9._@-].
    /// </summary>
    public static CallerIdentity? From(X509Certificate2 certificate, out string problem)
    {
        var roles = RoleUris(certificate).ToList();
        problem = "";
        if (roles.Count != 1)
        {
            problem = roles.Count == 0 ? $"the certificate has no SAN URI {UriPrefix}<role>:<name>" : "the certificate names more than one role";
            return null;
        }
        var rest = roles[0][UriPrefix.Length..];
        var colon = rest.IndexOf(':');
        var role = colon < 0 ? "" : rest[..colon];
        var name = colon < 0 ? "" : rest[(colon + 1)..];
        var parsed = role switch { "system" => CallerRole.System, "operator" => CallerRole.Operator, "auditor" => CallerRole.Auditor, _ => CallerRole.None };
        if (parsed == CallerRole.None) { problem = $"'{role}' is not a role (system, operator, auditor)"; return null; }
        if (name.Length is 0 or > MaxNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@'))
        {
            problem = $"the {role} name must be 1 to {MaxNameLength} characters of A-Z, a-z, 0-9, '.', '_', '-', '@'";
            return null;
        }
        return new CallerIdentity(parsed, name);
    }

    private static IEnumerable<string> RoleUris(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != "2.5.29.17") continue;
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (reader.HasData)
            {
                var tag = reader.PeekTag();
                // uniformResourceIdentifier [6] IA5String; every other name form is skipped.
                if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 6)
                {
                    var uri = reader.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 6));
                    if (uri.StartsWith(UriPrefix, StringComparison.Ordinal)) yield return uri;
                }
                else reader.ReadEncodedValue();
            }
        }
    }
}

/// <summary>Which roles each call needs. Listed by service; a method of a service not listed is refused under TLS.</summary>
public static class CallerPolicy
{
    /// <summary>A call anyone may make, with or without a certificate (probes, tooling).</summary>
    public const CallerRole Open = (CallerRole)(-1);

    private static readonly Dictionary<string, CallerRole> Services = new(StringComparer.Ordinal)
    {
        ["grpc.health.v1.Health"] = Open,
        ["grpc.reflection.v1alpha.ServerReflection"] = Open,
        ["grpc.reflection.v1.ServerReflection"] = Open,
        [Contracts.Transfer.V1.TransferService.Descriptor.FullName] = CallerRole.System,
        [Contracts.Transfer.V1.WorkItemService.Descriptor.FullName] = CallerRole.System,
        [Contracts.Sync.V1.FilingService.Descriptor.FullName] = CallerRole.System,
        [Contracts.Sync.V1.EnrolmentService.Descriptor.FullName] = CallerRole.System,
        [Contracts.Sync.V1.BackfillService.Descriptor.FullName] = CallerRole.System,
        [Contracts.Sync.V1.RecordWatchService.Descriptor.FullName] = CallerRole.System,
    };

    private static readonly string Ops = Contracts.Ops.V1.OpsService.Descriptor.FullName;

    /// <summary>
    /// The roles that may call <paramref name="method"/> ("/package.Service/Method"). OpsService: reads (List*, Get*,
    /// Count*, Verify*, Export*) operator or auditor, every other call (an action) operator only.
    /// </summary>
    public static CallerRole Allowed(string method)
    {
        var slash = method.LastIndexOf('/');
        if (slash <= 0) return CallerRole.None;
        var service = method[1..slash];
        var name = method[(slash + 1)..];
        if (service == Ops) return IsRead(name) ? CallerRole.Operator | CallerRole.Auditor : CallerRole.Operator;
        return Services.GetValueOrDefault(service, CallerRole.None);
    }

    public static bool IsRead(string opsMethod) =>
        opsMethod.StartsWith("List", StringComparison.Ordinal) || opsMethod.StartsWith("Get", StringComparison.Ordinal)
        || opsMethod.StartsWith("Count", StringComparison.Ordinal) || opsMethod.StartsWith("Verify", StringComparison.Ordinal)
        || opsMethod.StartsWith("Export", StringComparison.Ordinal);

    public static string Describe(CallerRole roles) => roles == CallerRole.None ? "none"
        : string.Join(",", new[] { CallerRole.System, CallerRole.Operator, CallerRole.Auditor }.Where(r => roles.HasFlag(r)).Select(r => r.ToString().ToLowerInvariant()));
}

/// <summary>
/// A caller whose certificate does not allow the call (none, no role, another province's system, a role the call does
/// not take): PERMISSION_DENIED with the reason, mapped in <see cref="GatewayErrors"/>.
/// </summary>
public sealed class CallerNotAllowedException(string reason, string message, IReadOnlyDictionary<string, string>? metadata = null) : Exception(message)
{
    public const string NoClientCertificate = "NO_CLIENT_CERTIFICATE";
    public const string CertificateWithoutRole = "CERTIFICATE_WITHOUT_ROLE";
    public const string CertificateForAnotherProvince = "CERTIFICATE_FOR_ANOTHER_PROVINCE";
    public const string RoleNotAllowed = "ROLE_NOT_ALLOWED";

    public string Reason { get; } = reason;
    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata ?? new Dictionary<string, string>();
}
