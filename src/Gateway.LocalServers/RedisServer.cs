using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Gateway.LocalServers;

/// <summary>
/// A private redis-server child process on a free loopback port, without persistence.
/// Killed on dispose; <see cref="StopAsync"/> and <see cref="RestartAsync"/> let tests simulate an outage.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    public const string InstallHint = "install it with: sudo apt-get install -y redis-server (or run deploy/install-prerequisites.sh)";
    private const string DirectoryPrefix = "gw-redis-";
    private const string PidFileName = "redis.pid";
    private static readonly string[] SearchPaths = ["/usr/bin", "/usr/local/bin", "/usr/sbin"];
    private static int _swept;

    private readonly string _executable;
    private readonly string _rootDirectory;
    private Process? _process;
    private int _disposed;

    private RedisServer(string executable, string rootDirectory, int port)
    {
        _executable = executable;
        _rootDirectory = rootDirectory;
        Port = port;
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    public static bool IsAvailable() => FindExecutable() is not null;

    public static async Task<RedisServer> StartAsync(CancellationToken ct = default)
    {
        var executable = FindExecutable() ?? throw new InvalidOperationException(
            $"redis-server was not found on PATH; {InstallHint}.");
        var baseDirectory = Path.GetTempPath();
        SweepOrphansOnce(baseDirectory);
        var root = ExitGuard.CreateOwnedDirectory(baseDirectory, DirectoryPrefix);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var server = new RedisServer(executable, root, FreePort.Find());
                ExitGuard.Register(server, server.KillBlocking);
                var failure = await server.TryLaunchAsync(ct).ConfigureAwait(false);
                if (failure is null)
                {
                    return server;
                }
                ExitGuard.Unregister(server);
                // The port may have been taken between probing and binding: try another a couple of times.
                if (attempt >= 3)
                {
                    throw new InvalidOperationException($"redis-server did not start: {failure}");
                }
            }
        }
        catch
        {
            ExitGuard.TryDelete(root);
            throw;
        }
    }

    /// <summary>Kills the server (as an outage would); the object can be restarted on the same port.</summary>
    public async Task StopAsync()
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>Starts the server again on the same port, empty.</summary>
    public async Task RestartAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed == 1, this);
        await StopAsync().ConfigureAwait(false);
        var failure = await TryLaunchAsync(ct).ConfigureAwait(false);
        if (failure is not null)
        {
            throw new InvalidOperationException($"redis-server did not restart on port {Port}: {failure}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        ExitGuard.Unregister(this);
        await StopAsync().ConfigureAwait(false);
        ExitGuard.TryDelete(_rootDirectory);
    }

    private async Task<string?> TryLaunchAsync(CancellationToken ct)
    {
        var info = new ProcessStartInfo(_executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
            WorkingDirectory = _rootDirectory,
        };
        string[] args =
        [
            "--port", Port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--protected-mode", "yes",
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--dir", _rootDirectory,
            "--logfile", Path.Combine(_rootDirectory, "redis.log"),
        ];
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start redis-server.");
        _process = process;
        // Record the child's pid for the orphan sweep of a later process, in case this one is killed outright.
        await File.WriteAllTextAsync(Path.Combine(_rootDirectory, PidFileName), process.Id.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                var log = Path.Combine(_rootDirectory, "redis.log");
                var tail = File.Exists(log) ? string.Join(" | ", (await File.ReadAllLinesAsync(log, ct).ConfigureAwait(false)).TakeLast(5)) : "";
                _process = null;
                return $"exited with {process.ExitCode} on port {Port}: {tail}";
            }
            if (await PingAsync(Port, ct).ConfigureAwait(false))
            {
                return null;
            }
            await Task.Delay(25, ct).ConfigureAwait(false);
        }
        await StopAsync().ConfigureAwait(false);
        return $"no PONG on port {Port} within 15 s";
    }

    private static async Task<bool> PingAsync(int port, CancellationToken ct)
    {
        try
        {
            using var client = new TcpClient();
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(TimeSpan.FromSeconds(1));
            await client.ConnectAsync("127.0.0.1", port, limit.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), limit.Token).ConfigureAwait(false);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer, limit.Token).ConfigureAwait(false);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private void KillBlocking()
    {
        try
        {
            _process?.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        ExitGuard.TryDelete(_rootDirectory);
    }

    private static void SweepOrphansOnce(string baseDirectory)
    {
        if (Interlocked.Exchange(ref _swept, 1) == 1)
        {
            return;
        }
        foreach (var orphan in ExitGuard.Orphans(baseDirectory, DirectoryPrefix))
        {
            var pidFile = Path.Combine(orphan, PidFileName);
            if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
            {
                TryKillRedis(pid);
            }
            ExitGuard.TryDelete(orphan);
        }
    }

    private static void TryKillRedis(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            // Pids are reused: only kill what is still a redis-server.
            if (process.ProcessName.StartsWith("redis-server", StringComparison.Ordinal))
            {
                process.Kill();
            }
        }
        catch (ArgumentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }

    internal static string? FindExecutable()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(SearchPaths)
            .Select(dir => Path.Combine(dir, "redis-server"))
            .FirstOrDefault(File.Exists);
    }
}
