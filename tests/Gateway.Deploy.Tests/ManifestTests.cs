using System.Text.Json.Nodes;

namespace Gateway.Deploy.Tests;

/// <summary>Every YAML under deploy/ parses; Kubernetes manifests, kustomizations and the compose file are valid by their schemas.</summary>
public sealed class ManifestTests
{
    private static readonly string K8s = Path.Combine(Repo.Deploy, "k8s");

    public static IEnumerable<object[]> Manifests => YamlFiles.All
        .Where(f => f.StartsWith(K8s, StringComparison.Ordinal) && Path.GetFileName(f) != "kustomization.yaml")
        .Select(f => new object[] { Repo.Relative(f) });

    public static IEnumerable<object[]> Kustomizations => YamlFiles.All
        .Where(f => Path.GetFileName(f) == "kustomization.yaml").Select(f => new object[] { Repo.Relative(f) });

    [Fact]
    public void Deploy_holds_the_compose_file_and_the_kubernetes_base_and_overlays()
    {
        var names = YamlFiles.All.Select(Repo.Relative).ToList();
        Assert.Contains("deploy/compose/compose.yaml", names);
        Assert.Contains("deploy/k8s/base/kustomization.yaml", names);
        Assert.Contains("deploy/k8s/overlays/15/kustomization.yaml", names);
        Assert.Contains("deploy/k8s/overlays/51/kustomization.yaml", names);
    }

    [Theory]
    [MemberData(nameof(YamlFiles.Names), MemberType = typeof(YamlFiles))]
    public void Yaml_file_parses(string file)
    {
        var documents = YamlFiles.Load(Repo.PathOf(file));
        Assert.NotEmpty(documents);
        Assert.All(documents, d => Assert.IsType<JsonObject>(d));
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Kubernetes_manifest_is_a_served_kind_with_its_required_fields(string file)
    {
        foreach (var document in YamlFiles.Load(Repo.PathOf(file)))
        {
            var problems = KubernetesProblems(document);
            Assert.True(problems.Count == 0, $"{file}:\n" + string.Join('\n', problems));
        }
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Kustomization_is_valid_and_names_files_that_exist(string file)
    {
        var path = Repo.PathOf(file);
        var document = Assert.Single(YamlFiles.Load(path));
        var errors = Schemas.Errors(Schemas.Kustomization, document);
        Assert.True(errors.Count == 0, $"{file}:\n" + string.Join('\n', errors));
        var folder = Path.GetDirectoryName(path)!;
        var named = (document!["resources"]?.AsArray() ?? []).Select(r => r!.GetValue<string>())
            .Concat((document["patches"]?.AsArray() ?? []).Select(p => p!["path"]?.GetValue<string>()).OfType<string>());
        foreach (var relative in named)
        {
            var target = Path.GetFullPath(Path.Combine(folder, relative));
            Assert.True(File.Exists(target) || File.Exists(Path.Combine(target, "kustomization.yaml")),
                $"{file} names {relative}, which is neither a file nor a folder with a kustomization.yaml");
        }
        // Every manifest beside a kustomization is one it uses: a file left out would silently not be deployed.
        var listed = named.Select(r => Path.GetFullPath(Path.Combine(folder, r))).ToHashSet();
        var beside = Directory.EnumerateFiles(folder, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml");
        Assert.All(beside, f => Assert.True(listed.Contains(f), $"{Repo.Relative(f)} is not in {file}"));
    }

    [Fact]
    public void Compose_file_is_valid_by_the_compose_specification_schema()
    {
        var document = Assert.Single(YamlFiles.Load(Repo.PathOf("deploy/compose/compose.yaml")));
        var errors = Schemas.Errors(Schemas.Compose, document);
        Assert.True(errors.Count == 0, string.Join('\n', errors));
    }

    [Fact]
    public void The_checks_refuse_what_kubernetes_and_compose_would_refuse()
    {
        // A Deployment without its selector, a misspelt field, a kind Kubernetes does not serve: each must be caught.
        var deployment = Assert.Single(YamlFiles.Load(Repo.PathOf("deploy/k8s/base/deployment.yaml")))!.AsObject();
        var noSelector = (JsonObject)deployment.DeepClone();
        noSelector["spec"]!.AsObject().Remove("selector");
        Assert.Contains(KubernetesProblems(noSelector), p => p.Contains("selector", StringComparison.Ordinal));
        var misspelt = (JsonObject)deployment.DeepClone();
        misspelt["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject()["readynessProbe"] = new JsonObject();
        Assert.NotEmpty(KubernetesProblems(misspelt));
        var unserved = (JsonObject)deployment.DeepClone();
        unserved["apiVersion"] = "extensions/v1beta1";
        Assert.Contains(KubernetesProblems(unserved), p => p.Contains("not served", StringComparison.Ordinal));

        var compose = Assert.Single(YamlFiles.Load(Repo.PathOf("deploy/compose/compose.yaml")))!.AsObject();
        compose["services"]!["node-15"]!.AsObject()["healthcheck"] = new JsonObject { ["intervall"] = "5s" };
        Assert.NotEmpty(Schemas.Errors(Schemas.Compose, compose));
    }

    [Fact]
    public void Pod_probes_and_port_are_the_node_image_healthcheck_and_port()
    {
        var image = new Dockerfile(Repo.PathOf("deploy/docker/node.Dockerfile")).Final;
        var workdir = image.All("WORKDIR").Last();
        var healthcheck = image.Exec("HEALTHCHECK").ToList();
        var expected = healthcheck.Select(w => w.EndsWith(".dll", StringComparison.Ordinal) ? $"{workdir}/{w}" : w).ToList();
        var deployment = Assert.Single(YamlFiles.Load(Repo.PathOf("deploy/k8s/base/deployment.yaml")))!;
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
            Assert.Equal(expected, container[probe]!["exec"]!["command"]!.AsArray().Select(n => n!.GetValue<string>()).ToList());
        var exposed = int.Parse(image.All("EXPOSE").Single());
        Assert.Equal(exposed, container["ports"]![0]!["containerPort"]!.GetValue<long>());
        Assert.EndsWith($":{exposed}", image.Environment()["ASPNETCORE_URLS"]);
    }

    private static List<string> KubernetesProblems(JsonNode? document)
    {
        var apiVersion = document?["apiVersion"]?.GetValue<string>();
        var kind = document?["kind"]?.GetValue<string>();
        if (apiVersion is null || kind is null) return ["no apiVersion or kind"];
        if (!Schemas.Served.TryGetValue($"{apiVersion}/{kind}", out var schema))
            return [$"{apiVersion} {kind} is not served by Kubernetes (Schemas/k8s/served.json)"];
        return Schemas.Errors(Schemas.Kubernetes(schema), document);
    }
}
