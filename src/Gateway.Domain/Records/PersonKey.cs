using System.Security.Cryptography;
using System.Text;
using Gateway.Domain.Values;

namespace Gateway.Domain.Records;

/// <summary>
/// A stable, opaque key for one person: the first 32 hex characters of SHA-256 over the document type's national code
/// and the number. Every node derives the same key, so a person's record changes share one Kafka partition (ordered per
/// person) and tables can index people without keeping the identity number in a key column or a log line.
/// </summary>
public readonly record struct PersonKey(string Value)
{
    public const int Length = 32;

    public static PersonKey Of(IdentityNumber person)
    {
        var text = $"{person.DocumentType.ToNationalCode()}:{person.Value.Trim().ToUpperInvariant()}";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return new PersonKey(Convert.ToHexStringLower(hash)[..Length]);
    }

    public override string ToString() => Value;
}
