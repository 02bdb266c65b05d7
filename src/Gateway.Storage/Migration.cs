using System.Reflection;
using System.Text.RegularExpressions;

namespace Gateway.Storage;

/// <summary>One versioned schema change, read from an embedded Migrations/NNNN_name.sql file.</summary>
public sealed partial record Migration(int Version, string Name, string Sql)
{
    /// <summary>The migrations embedded in this assembly, in version order.</summary>
    public static IReadOnlyList<Migration> Embedded { get; } = Load(typeof(Migration).Assembly);

    public static IReadOnlyList<Migration> Load(Assembly assembly)
    {
        var found = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = ResourceName().Match(resource);
            if (!match.Success)
            {
                continue;
            }
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            found.Add(new Migration(int.Parse(match.Groups["version"].Value), match.Groups["name"].Value, reader.ReadToEnd()));
        }
        var duplicate = found.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException(
                $"Two migrations share version {duplicate.Key}: {string.Join(", ", duplicate.Select(m => m.Name))}.");
        }
        return found.OrderBy(m => m.Version).ToList();
    }

    // Resource names look like Gateway.Storage.Migrations.0001_exchange_infrastructure.sql.
    [GeneratedRegex(@"Migrations\.(?<version>\d{4})_(?<name>[A-Za-z0-9_]+)\.sql$")]
    private static partial Regex ResourceName();
}
