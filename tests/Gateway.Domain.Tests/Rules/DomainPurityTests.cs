using System.Xml.Linq;
using Gateway.Domain.Seeds;

namespace Gateway.Domain.Tests.Rules;

/// <summary>The domain stays free of I/O: no packages, no references to transport or storage libraries.</summary>
public class DomainPurityTests
{
    private static readonly string[] Forbidden =
        ["Confluent.", "StackExchange.", "Grpc.", "Google.Protobuf", "Npgsql", "Microsoft.AspNetCore."];

    [Fact]
    public void Domain_assembly_references_no_io_packages()
    {
        var refs = typeof(SeedLibrary).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.NotEmpty(refs);
        Assert.DoesNotContain(refs, r => Forbidden.Any(f => r.StartsWith(f, StringComparison.Ordinal)));
    }

    [Fact]
    public void Domain_project_has_no_package_references()
    {
        var csproj = Path.Combine(RepositoryRoot(), "src", "Gateway.Domain", "Gateway.Domain.csproj");
        var doc = XDocument.Load(csproj);
        Assert.DoesNotContain(doc.Descendants(), e => e.Name.LocalName == "PackageReference");
    }

    [Fact]
    public void Seed_files_are_embedded_in_the_domain_assembly()
    {
        var names = SeedLibrary.Names();
        Assert.Contains("calendars/2025.json", names);
        Assert.Contains("calendars/2026.json", names);
        Assert.Contains("regimes.json", names);
        Assert.Contains("divisions/provinces.json", names);
        Assert.Equal(4, SeedLibrary.Names("catalogues/").Count);
        var onDisk = Directory.GetFiles(Path.Combine(RepositoryRoot(), "seeds"), "*.json", SearchOption.AllDirectories).Length;
        Assert.Equal(onDisk, names.Count);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Gateway.sln"))) return dir.FullName;
        throw new InvalidOperationException("Gateway.sln not found above the test output folder.");
    }
}
