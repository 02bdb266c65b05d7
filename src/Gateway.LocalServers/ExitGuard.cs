using System.Collections.Concurrent;

namespace Gateway.LocalServers;

/// <summary>
/// Stops servers still running when the process exits (a failed test run, Ctrl+C, SIGTERM),
/// and removes what earlier processes left behind when they were killed outright.
/// </summary>
internal static class ExitGuard
{
    private static readonly ConcurrentDictionary<object, Action> Pending = new();
    private static int _hooked;

    public const string OwnerFileName = "owner.pid";

    public static void Register(object server, Action stopBlocking)
    {
        if (Interlocked.Exchange(ref _hooked, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();
        }
        Pending[server] = stopBlocking;
    }

    public static void Unregister(object server) => Pending.TryRemove(server, out _);

    private static void StopAll()
    {
        foreach (var (server, stop) in Pending)
        {
            if (Pending.TryRemove(server, out _))
            {
                try
                {
                    stop();
                }
                catch (Exception)
                {
                    // Best effort while the process is going away.
                }
            }
        }
    }

    /// <summary>Creates a private directory and records which process owns it.</summary>
    public static string CreateOwnedDirectory(string baseDirectory, string prefix)
    {
        var path = Path.Combine(baseDirectory, prefix + Guid.NewGuid().ToString("N")[..12]);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        File.WriteAllText(Path.Combine(path, OwnerFileName), Environment.ProcessId.ToString());
        return path;
    }

    /// <summary>Directories with this prefix whose owning process is gone.</summary>
    public static IEnumerable<string> Orphans(string baseDirectory, string prefix)
    {
        string[] candidates;
        try
        {
            candidates = Directory.GetDirectories(baseDirectory, prefix + "*");
        }
        catch (IOException)
        {
            yield break;
        }
        catch (UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var directory in candidates)
        {
            var ownerFile = Path.Combine(directory, OwnerFileName);
            if (!File.Exists(ownerFile) || !int.TryParse(SafeRead(ownerFile), out var owner))
            {
                continue;
            }
            if (owner != Environment.ProcessId && !ProcessRunner.IsProcessAlive(owner))
            {
                yield return directory;
            }
        }
    }

    public static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string SafeRead(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
