namespace Gateway.Ops.Cli.Tests;

public sealed class NodeTargetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gateway-ops-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Func<string, string?> Env(string? node = null) => name => name switch
    {
        "HOME" => _dir,
        "XDG_CONFIG_HOME" => null,
        NodeTarget.EnvironmentVariable => node,
        _ => null,
    };

    [Fact]
    public void The_option_wins_over_the_environment_which_wins_over_the_config_file()
    {
        Directory.CreateDirectory(Path.Combine(_dir, ".config"));
        File.WriteAllText(Path.Combine(_dir, ".config", "gateway-ops.json"), """{"node": "http://config:3"}""");
        Assert.Equal(new Uri("http://option:1"), NodeTarget.Resolve("http://option:1", null, Env("http://env:2")));
        Assert.Equal(new Uri("http://env:2"), NodeTarget.Resolve(null, null, Env("http://env:2")));
        Assert.Equal(new Uri("http://config:3"), NodeTarget.Resolve(null, null, Env()));
    }

    [Fact]
    public async Task An_explicit_config_file_is_read_and_a_missing_or_bad_one_is_bad_usage()
    {
        var path = Path.Combine(_dir, "ops.json");
        File.WriteAllText(path, """{"node": "http://127.0.0.1:1"}""");
        Assert.Equal(new Uri("http://127.0.0.1:1"), NodeTarget.Resolve(null, path, Env()));

        var output = new StringWriter();
        Assert.Equal(ExitCodes.Usage, await CliApp.RunAsync(["counts", "--config", Path.Combine(_dir, "absent.json")], output, output, Env()));
        Assert.Contains("does not exist", output.ToString());
        File.WriteAllText(path, "{not json");
        Assert.Equal(ExitCodes.Usage, await CliApp.RunAsync(["counts", "--config", path], output, output, Env()));
        File.WriteAllText(path, """{"node": "ftp://x"}""");
        Assert.Equal(ExitCodes.Usage, await CliApp.RunAsync(["counts", "--config", path], output, output, Env()));
        // No node anywhere: bad usage, and the message says how to give one.
        output = new StringWriter();
        Assert.Equal(ExitCodes.Usage, await CliApp.RunAsync(["counts"], output, output, Env()));
        Assert.Contains("--node", output.ToString());
        // The config's node is used: unreachable there.
        File.WriteAllText(path, """{"node": "http://127.0.0.1:1"}""");
        Assert.Equal(ExitCodes.Unreachable, await CliApp.RunAsync(["counts", "--config", path], output, output, Env()));
    }

    [Theory]
    [InlineData("reapply", "5")]
    [InlineData("list", "bogus")]
    [InlineData("resend-failed", "--reason", "r", "--from", "2026-01-01")]
    [InlineData("reapply", "not-a-number", "--reason", "r")]
    [InlineData("list", "held", "--from", "yesterday")]
    [InlineData("nonsense")]
    public async Task Bad_usage_exits_2_without_calling_a_node(params string[] args)
    {
        var output = new StringWriter();
        // An unreachable node: a call would exit 4, so 2 proves nothing was called.
        Assert.Equal(ExitCodes.Usage, await CliApp.RunAsync([.. args, "--node", "http://127.0.0.1:1"], output, output, Env()));
    }
}
