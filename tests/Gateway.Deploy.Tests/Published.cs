using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Deploy.Tests;

/// <summary>
/// What a Dockerfile's build stage produces, made here: its <c>RUN dotnet ...</c> lines run as written from the
/// repository root (the image's WORKDIR /src holds the same files), only the publish folder moved to a temp dir.
/// </summary>
public static class Published
{
    public static string Publish(Dockerfile dockerfile, string output)
    {
        var build = dockerfile.Stages[0];
        var runtimeCopy = dockerfile.Final.All("COPY").Single(c => c.StartsWith("--from=" + build.Name, StringComparison.Ordinal));
        var copied = Dockerfile.Words(runtimeCopy)[1];
        var dotnetLines = build.All("RUN").Select(Dockerfile.Words).Where(w => w[0] == "dotnet").ToList();
        Assert.Contains(dotnetLines, w => w[1] == "publish");
        foreach (var words in dotnetLines)
        {
            var args = words.Skip(1).ToList();
            if (args[0] == "publish")
            {
                var o = args.FindIndex(a => a is "-o" or "--output");
                Assert.True(o > 0, $"{dockerfile.Path}: the publish line names its output folder with -o");
                // The runtime stage must copy exactly what publish wrote, or the image would start without the node.
                Assert.Equal(args[o + 1], copied);
                args[o + 1] = output;
            }
            var (code, log) = Run("dotnet", args, Repo.Root, new Dictionary<string, string>(), TimeSpan.FromMinutes(8));
            Assert.True(code == 0, $"`dotnet {string.Join(' ', args)}` failed ({code}):\n{Tail(log)}");
        }
        return output;
    }

    /// <summary>The image's environment (its ENV lines), with the listen port of ASPNETCORE_URLS moved to <paramref name="port"/>.</summary>
    public static Dictionary<string, string> ImageEnvironment(Dockerfile dockerfile, int port)
    {
        var env = new Dictionary<string, string>(dockerfile.Final.Environment());
        env["ASPNETCORE_URLS"] = Regex.Replace(env["ASPNETCORE_URLS"], @":\d+$", ":" + port);
        return env;
    }

    public static Process Start(IReadOnlyList<string> command, string workingDirectory, IReadOnlyDictionary<string, string> env, StringBuilder log)
    {
        var psi = Info(command[0], command.Skip(1), workingDirectory, env);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + command[0]);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static (int Code, string Output) Run(string file, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string> env, TimeSpan timeout)
    {
        var log = new StringBuilder();
        using var process = Start([file, .. args], workingDirectory, env, log);
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}:\n{Tail(log.ToString())}");
        }
        process.WaitForExit(); // drains the output readers
        lock (log) return (process.ExitCode, log.ToString());
    }

    public static async Task StopAsync(Process process)
    {
        if (process.HasExited) return;
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString()])) await term.WaitForExitAsync();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try { await process.WaitForExitAsync(wait.Token); }
        catch (OperationCanceledException) { process.Kill(entireProcessTree: true); await process.WaitForExitAsync(); }
    }

    public static string Tail(string log, int lines = 60) => string.Join('\n', log.Split('\n').TakeLast(lines));

    private static ProcessStartInfo Info(string file, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Not the test host's own ASP.NET settings: the published host sees only what the image and the test give it.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("Gateway__", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        return psi;
    }
}
