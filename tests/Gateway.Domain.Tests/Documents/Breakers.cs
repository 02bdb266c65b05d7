using Gateway.Domain.Documents;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Documents;

/// <summary>Breaks exactly one field of a valid document. Conflicts name breakers whose check this one's switches off.</summary>
public sealed record Breaker<T>(string Path, Func<T, T> Break, params string[] Conflicts);

public static class Breakers
{
    /// <summary>
    /// The valid document has no violation; each breaker alone yields exactly its path; random combinations of compatible
    /// breakers yield exactly their paths, each once.
    /// </summary>
    public static void AssertExactPaths<T>(T valid, Func<T, IReadOnlyList<FieldViolation>> validate, IReadOnlyList<Breaker<T>> breakers, int seed)
    {
        Assert.Empty(validate(valid));
        Assert.Equal(breakers.Count, breakers.Select(b => b.Path).Distinct().Count());

        foreach (var b in breakers)
            Assert.Equal([b.Path], validate(b.Break(valid)).Select(v => v.Field));

        var rng = new Random(seed);
        for (var round = 0; round < 400; round++)
        {
            var chosen = new List<Breaker<T>>();
            foreach (var b in breakers.OrderBy(_ => rng.Next()))
            {
                if (round > 0 && rng.Next(2) == 0) continue; // round 0: as many as fit together
                if (chosen.Any(c => c.Conflicts.Contains(b.Path) || b.Conflicts.Contains(c.Path))) continue;
                chosen.Add(b);
            }
            var doc = chosen.Aggregate(valid, (d, b) => b.Break(d));
            var paths = validate(doc).Select(v => v.Field).ToList();
            Assert.Equal(chosen.Select(b => b.Path).Order(), paths.Order());
        }
    }

    /// <summary>Breakers for every person field, under "person".</summary>
    public static IEnumerable<Breaker<T>> Person<T>(Func<T, Person> get, Func<T, Person, T> set, string documentDatePath)
    {
        Breaker<T> B(string field, Func<Person, Person> f, params string[] conflicts) =>
            new($"person.{field}", d => set(d, f(get(d))), conflicts);

        yield return B("psn_name", p => p with { Name = " " });
        yield return B("psn_cert_type", p => p with { Identity = p.Identity with { DocumentType = (CertificateDocumentType)42 } });
        // With an unknown document type the number cannot be checked beyond being present.
        yield return B("certno", p => p with { Identity = p.Identity with { Value = Flip(p.Identity.Value, 10) } }, "person.psn_cert_type");
        yield return B("gend", p => p with { Gender = (Gender)7 });
        yield return B("brdy", p => p with { BirthDate = new DateOnly(2999, 1, 1) }, documentDatePath);
        yield return B("phone", p => p with { Phone = "12ab" });
        yield return B("household_type", p => p with { HouseholdType = (HouseholdType)9 });
        yield return B("household_address", p => p with { HouseholdAddress = new string('址', 201) });
        yield return B("contact_address", p => p with { ContactAddress = new string('址', 201) });
        yield return B("postcode", p => p with { Postcode = "6180" });
    }

    /// <summary>Breakers for every agency field under <paramref name="prefix"/>.</summary>
    public static IEnumerable<Breaker<T>> Agency<T>(string prefix, Func<T, Agency> get, Func<T, Agency, T> set)
    {
        Breaker<T> B(string field, Func<Agency, Agency> f) => new($"{prefix}.{field}", d => set(d, f(get(d))));

        yield return B("name", a => a with { Name = "" });
        yield return B("admdvs", a => a with { Division = new DivisionCode("51060") });
        yield return B("address", a => a with { Address = new string('址', 201) });
        yield return B("postcode", a => a with { Postcode = "A18000" });
        yield return B("contact", a => a with { Contact = new string('人', 101) });
        yield return B("phone", a => a with { Phone = "phone" });
    }

    /// <summary>Changes one digit, so a checksummed number no longer checks.</summary>
    public static string Flip(string value, int position) =>
        value[..position] + (value[position] == '9' ? '0' : (char)(value[position] + 1)) + value[(position + 1)..];
}
