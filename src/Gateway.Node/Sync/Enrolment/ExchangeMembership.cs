using Gateway.Domain.Records;
using Gateway.Domain.Values;
using Gateway.Node.Infrastructure;

namespace Gateway.Node.Sync.Enrolment;

/// <summary>
/// The provinces in the exchange (setting <c>Gateway:ExchangeProvinces</c>: comma-separated codes, or a list; default
/// all 32 province-level codes) and, from them, each person's index province. Every node must list the same provinces.
/// </summary>
public sealed class ExchangeMembership
{
    public ExchangeMembership(ExchangeMembers members) =>
        Index = new IndexProvince(members.Provinces.Select(c => new ProvinceCode(c)));

    public IndexProvince Index { get; }

    public string IndexOf(IdentityNumber person) => Index.For(person).Value;
}
