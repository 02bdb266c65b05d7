using Gateway.Node;

namespace Gateway.Deploy.Tests;

/// <summary>Done when (issue 14): every setting deploy/ names is one the node reads, and a rename in code alone fails.</summary>
public sealed class SettingNamesTests
{
    [Fact]
    public void Every_setting_named_in_deploy_is_one_the_node_or_console_reads()
    {
        var uses = SettingNames.InDeploy().ToList();
        // The checker saw the files it is meant to see.
        Assert.Contains(uses, u => u.File.StartsWith("deploy/compose/compose.yaml (node-15)", StringComparison.Ordinal) && u.Name == "Gateway__Tls__ClientCa");
        Assert.Contains(uses, u => u.File.StartsWith("deploy/k8s/base/configmap.yaml", StringComparison.Ordinal) && u.Name == "Kafka__Settings__security.protocol");
        Assert.Contains(uses, u => u.File.StartsWith("deploy/k8s/base/secret.yaml", StringComparison.Ordinal) && u.Name == "ConnectionStrings__Node");
        Assert.Contains(uses, u => u.File.StartsWith("deploy/k8s/overlays/51/configmap.yaml", StringComparison.Ordinal) && u.Name == "Gateway__Province");
        Assert.Contains(uses, u => u.File.StartsWith("deploy/compose/compose.yaml (console-15)", StringComparison.Ordinal) && u.Name == "Console__NodeCa");
        Assert.Contains(uses, u => u.File == "deploy/node.appsettings.example.json" && u.Key == "Gateway:Signing:FreshnessPast");

        var problems = SettingNames.Check(uses, NodeSettings.Names, SettingNames.ConsoleNames);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void A_setting_renamed_in_code_but_not_in_deploy_is_reported_in_every_file_that_names_it()
    {
        // As if TlsOptions.ClientCa had been renamed: the node's list lacks the old name.
        var renamed = NodeSettings.Names.Where(n => n != "Gateway:Tls:ClientCa").ToList();
        Assert.Equal(NodeSettings.Names.Count - 1, renamed.Count);

        var problems = SettingNames.Check(SettingNames.InDeploy(), renamed, SettingNames.ConsoleNames);

        Assert.NotEmpty(problems);
        Assert.All(problems, p => Assert.Equal("Gateway:Tls:ClientCa", SettingNames.Key(p.Name)));
        Assert.Contains(problems, p => p.File == "deploy/compose/compose.yaml (node-15)" && p.Name == "Gateway__Tls__ClientCa");
        Assert.Contains(problems, p => p.File == "deploy/compose/compose.yaml (node-51)");
        Assert.Contains(problems, p => p.File.StartsWith("deploy/k8s/base/configmap.yaml", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.File == "deploy/node.appsettings.example.json");
    }

    [Fact]
    public void A_console_setting_renamed_and_an_unknown_section_are_reported()
    {
        var uses = new[]
        {
            new SettingNames.Use("x", "Console__NodeCA_File", "Console:NodeCA_File"),
            new SettingNames.Use("x", "Gatway__Province", "Gatway:Province"),
            new SettingNames.Use("x", "Kafka__Setings__acks", "Kafka:Setings:acks"),
            new SettingNames.Use("x", "KAFKA_NODE_ID", "KAFKA_NODE_ID"), // another image's variable: not ours
            new SettingNames.Use("x", "Kafka__Settings__security.protocol", "Kafka:Settings:security.protocol"),
        };
        var problems = SettingNames.Check(uses, NodeSettings.Names, SettingNames.ConsoleNames).Select(p => p.Name).ToList();
        Assert.Equal(["Console__NodeCA_File", "Gatway__Province", "Kafka__Setings__acks"], problems);
    }

    [Fact]
    public void The_node_settings_list_follows_the_options_classes()
    {
        // Built by reflection: a property's name is its key, so renaming the property renames the key.
        Assert.Contains($"{NodeOptions.Section}:{nameof(NodeOptions.InboxBatchSize)}", NodeSettings.Names);
        Assert.Contains($"{Gateway.Node.Infrastructure.TlsOptions.Section}:{nameof(Gateway.Node.Infrastructure.TlsOptions.ClientCa)}", NodeSettings.Names);
        Assert.Contains($"{Gateway.Messaging.KafkaOptions.SectionName}:{nameof(Gateway.Messaging.KafkaOptions.Settings)}:*", NodeSettings.Names);
        Assert.DoesNotContain("Gateway:Tls:Enabled", NodeSettings.Names); // read-only: not a setting
        Assert.DoesNotContain("Gateway:Tls:AllowPlaintext", NodeSettings.Names); // read as Gateway:AllowPlaintext
        Assert.True(NodeSettings.Reads("Kafka:Settings:sasl.password"));
        Assert.True(NodeSettings.Reads("gateway:province")); // configuration keys are case-insensitive
        Assert.False(NodeSettings.Reads("Kafka:Settings"));
    }
}
