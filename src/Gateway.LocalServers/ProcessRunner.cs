using System.Diagnostics;

namespace Gateway.LocalServers;

/// <summary>Result of a finished child process.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string Describe() => $"exit {ExitCode}: {StandardError.Trim()} {StandardOutput.Trim()}".Trim();
}

/// <summary>Runs short-lived tools (initdb, pg_ctl, redis-cli) and captures their output.</summary>
internal static class ProcessRunner
{
    // On Unix, Environment.UserName is looked up from the effective user id.
    public static bool IsRoot { get; } = !OperatingSystem.IsWindows() && Environment.UserName == "root";

    public static async Task<ProcessResult> RunAsync(
        string fileName, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken ct)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        // A C locale keeps tool output predictable and initdb away from missing locales.
        info.Environment["LC_ALL"] = "C";
        info.Environment["LANG"] = "C";

        using var process = Process.Start(info)
            ?? throw new InvalidOperationException($"Could not start {fileName}.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            TryKill(process);
            if (ct.IsCancellationRequested)
            {
                throw;
            }
            throw new TimeoutException($"{fileName} did not finish within {timeout}.");
        }
        return new ProcessResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>Synchronous variant for process-exit handlers, where nothing may be awaited.</summary>
    public static int RunBlocking(string fileName, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        try
        {
            using var process = Process.Start(info);
            if (process is null)
            {
                return -1;
            }
            process.StandardOutput.ReadToEndAsync();
            process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                TryKill(process);
                return -1;
            }
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }

    /// <summary>Prefixes a command with runuser when root must hand it to another user.</summary>
    public static (string FileName, List<string> Arguments) AsUser(string? user, string fileName, IEnumerable<string> arguments)
    {
        if (user is null)
        {
            return (fileName, arguments.ToList());
        }
        var wrapped = new List<string> { "-u", user, "--", fileName };
        wrapped.AddRange(arguments);
        return ("runuser", wrapped);
    }

    public static bool IsProcessAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void TryKill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
