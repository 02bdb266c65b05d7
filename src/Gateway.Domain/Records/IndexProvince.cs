using System.Globalization;
using Gateway.Domain.Values;

namespace Gateway.Domain.Records;

/// <summary>
/// Which province holds a person's enrolment summary (the index province): every owner sends its changes of the
/// person's records there, and duplicate enrolment is detected there. A resident identity card number names the
/// province of its first two digits when that province is in the exchange; any other document type, or a prefix
/// outside the exchange, goes by a stable hash of the <see cref="PersonKey"/> onto the sorted list of provinces in the
/// exchange. Every node must be configured with the same list, or two nodes disagree about where a person is indexed.
/// </summary>
public sealed class IndexProvince
{
    private readonly ProvinceCode[] _exchange;
    private readonly HashSet<string> _members;

    /// <param name="exchange">The provinces in the exchange (order and repeats do not matter).</param>
    /// <exception cref="ArgumentException">The list is empty or names an unknown province.</exception>
    public IndexProvince(IEnumerable<ProvinceCode> exchange)
    {
        _exchange = exchange.DistinctBy(p => p.Value).OrderBy(p => p.Value, StringComparer.Ordinal).ToArray();
        if (_exchange.Length == 0) throw new ArgumentException("The exchange needs at least one province.", nameof(exchange));
        foreach (var p in _exchange)
            if (!p.IsKnown) throw new ArgumentException($"'{p.Value}' is not a known province code.", nameof(exchange));
        _members = _exchange.Select(p => p.Value).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>All 32 province-level codes: the national exchange.</summary>
    public static IndexProvince National { get; } = new(ProvinceCode.All);

    /// <summary>The provinces in the exchange, in code order (the list the hash maps onto).</summary>
    public IReadOnlyList<ProvinceCode> Exchange => _exchange;

    public bool Contains(ProvinceCode province) => province.Value is not null && _members.Contains(province.Value);

    /// <summary>The index province of <paramref name="person"/> (a valid identity number).</summary>
    public ProvinceCode For(IdentityNumber person)
    {
        if (person.DocumentType == CertificateDocumentType.ResidentIdentityCard && person.RegionPrefix is { } region
            && _members.Contains(region[..2]))
            return new ProvinceCode(region[..2]);
        return ByHash(PersonKey.Of(person));
    }

    /// <summary>The hash rule alone: the key's first 64 bits modulo the number of provinces in the exchange.</summary>
    public ProvinceCode ByHash(PersonKey key)
    {
        var bits = ulong.Parse(key.Value.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return _exchange[(int)(bits % (ulong)_exchange.Length)];
    }
}
