using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Gateway.LocalServers;

/// <summary>Settings for a private PostgreSQL cluster; the defaults suit tests and the demo.</summary>
public sealed record PostgresServerOptions
{
    public string SharedBuffers { get; init; } = "16MB";
    public int MaxConnections { get; init; } = 100;
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// False turns off fsync, synchronous commit and full-page writes: much faster on a busy disk, and fine for
    /// tests whose data dies with the server. Keep true wherever a crash must not lose committed work.
    /// </summary>
    public bool Durable { get; init; } = true;

    /// <summary>Options for throw-away test clusters.</summary>
    public static PostgresServerOptions ForTests { get; } = new() { Durable = false };
}

/// <summary>
/// A throw-away PostgreSQL cluster: initdb into a fresh directory, pg_ctl start on a free loopback port,
/// stopped and deleted on dispose. One server can host several node databases.
/// </summary>
public sealed partial class PostgresServer : IAsyncDisposable
{
    public const string InstallHint = "install it with: sudo apt-get install -y postgresql (or run deploy/install-prerequisites.sh)";
    private const string DirectoryPrefix = "gw-pg-";
    private const string Superuser = "postgres";
    private static int _swept;

    private readonly string _binDirectory;
    private readonly string _rootDirectory;
    private readonly string? _runAs;
    private int _disposed;

    private PostgresServer(string binDirectory, string rootDirectory, string? runAs, int port)
    {
        _binDirectory = binDirectory;
        _rootDirectory = rootDirectory;
        _runAs = runAs;
        Port = port;
    }

    public int Port { get; }

    public string DataDirectory => Path.Combine(_rootDirectory, "data");

    public string LogFile => Path.Combine(_rootDirectory, "server.log");

    /// <summary>Npgsql connection string for one database of this server (trust authentication, loopback only).</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username={Superuser};Database={database};Timeout=15;Command Timeout=30";

    public static bool IsAvailable() => FindBinDirectory() is not null;

    public static Task<PostgresServer> StartAsync(CancellationToken ct = default) =>
        StartAsync(new PostgresServerOptions(), ct);

    public static async Task<PostgresServer> StartAsync(PostgresServerOptions options, CancellationToken ct = default)
    {
        var bin = FindBinDirectory() ?? throw new InvalidOperationException(
            $"PostgreSQL server binaries were not found under /usr/lib/postgresql/<version>/bin; {InstallHint}.");
        // The server refuses to run as root, so root hands initdb and pg_ctl to the postgres user.
        var runAs = ProcessRunner.IsRoot ? Superuser : null;
        // /tmp is traversable by every user; a root-only TMPDIR would lock the postgres user out.
        var baseDirectory = runAs is null ? Path.GetTempPath() : "/tmp";
        SweepOrphansOnce(bin, baseDirectory, runAs);

        var root = ExitGuard.CreateOwnedDirectory(baseDirectory, DirectoryPrefix);
        try
        {
            if (runAs is not null)
            {
                await RunCheckedAsync("chown", ["-R", $"{runAs}:{runAs}", root], TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            }
            var data = Path.Combine(root, "data");
            await RunAsUserCheckedAsync(runAs, Path.Combine(bin, "initdb"),
                ["-D", data, "-U", Superuser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);

            for (var attempt = 1; ; attempt++)
            {
                var port = FreePort.Find();
                var server = new PostgresServer(bin, root, runAs, port);
                ExitGuard.Register(server, server.StopBlocking);
                var started = await server.TryStartAsync(options, ct).ConfigureAwait(false);
                if (started is null)
                {
                    return server;
                }
                ExitGuard.Unregister(server);
                // Someone may have taken the port between probing and binding: try another.
                if (attempt >= 3 || !started.Contains("already in use", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException($"PostgreSQL did not start on port {port}: {started}");
                }
            }
        }
        catch
        {
            ExitGuard.TryDelete(root);
            throw;
        }
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken ct = default)
    {
        if (!DatabaseName().IsMatch(name))
        {
            throw new ArgumentException("Database names here are lower-case letters, digits and underscores (at most 63).", nameof(name));
        }
        await RunCheckedAsync(Path.Combine(_binDirectory, "createdb"),
            ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", Superuser, name],
            TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        ExitGuard.Unregister(this);
        var (file, args) = ProcessRunner.AsUser(_runAs, Path.Combine(_binDirectory, "pg_ctl"),
            ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "30", "-s"]);
        try
        {
            var result = await ProcessRunner.RunAsync(file, args, TimeSpan.FromSeconds(40), CancellationToken.None).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                StopImmediately(_binDirectory, DataDirectory, _runAs);
            }
        }
        catch (TimeoutException)
        {
            StopImmediately(_binDirectory, DataDirectory, _runAs);
        }
        ExitGuard.TryDelete(_rootDirectory);
    }

    private async Task<string?> TryStartAsync(PostgresServerOptions options, CancellationToken ct)
    {
        var settings = string.Join(' ',
            "-c listen_addresses=127.0.0.1",
            $"-p {Port}",
            $"-k {DataDirectory}",
            $"-c shared_buffers={options.SharedBuffers}",
            $"-c max_connections={options.MaxConnections}",
            options.Durable ? "" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        var waitSeconds = ((int)options.StartTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        var (file, args) = ProcessRunner.AsUser(_runAs, Path.Combine(_binDirectory, "pg_ctl"),
            ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", waitSeconds, "-s", "-o", settings]);
        var result = await ProcessRunner.RunAsync(file, args, options.StartTimeout + TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            StopImmediately(_binDirectory, DataDirectory, _runAs);
            return $"{result.Describe()} {TailOfLog()}";
        }
        await WaitForTcpAsync(Port, options.StartTimeout, ct).ConfigureAwait(false);
        return null;
    }

    private string TailOfLog()
    {
        try
        {
            var lines = File.ReadAllLines(LogFile);
            return string.Join(" | ", lines.TakeLast(8));
        }
        catch (IOException)
        {
            return "(no server log)";
        }
    }

    private void StopBlocking()
    {
        StopImmediately(_binDirectory, DataDirectory, _runAs);
        ExitGuard.TryDelete(_rootDirectory);
    }

    private static void StopImmediately(string bin, string dataDirectory, string? runAs)
    {
        if (!File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
        {
            return;
        }
        var (file, args) = ProcessRunner.AsUser(runAs, Path.Combine(bin, "pg_ctl"),
            ["stop", "-D", dataDirectory, "-m", "immediate", "-w", "-t", "15", "-s"]);
        ProcessRunner.RunBlocking(file, args, TimeSpan.FromSeconds(20));
    }

    private static void SweepOrphansOnce(string bin, string baseDirectory, string? runAs)
    {
        if (Interlocked.Exchange(ref _swept, 1) == 1)
        {
            return;
        }
        foreach (var orphan in ExitGuard.Orphans(baseDirectory, DirectoryPrefix))
        {
            StopImmediately(bin, Path.Combine(orphan, "data"), runAs);
            ExitGuard.TryDelete(orphan);
        }
    }

    internal static string? FindBinDirectory()
    {
        var overridden = Environment.GetEnvironmentVariable("GATEWAY_PG_BIN");
        if (!string.IsNullOrEmpty(overridden))
        {
            return File.Exists(Path.Combine(overridden, "pg_ctl")) ? overridden : null;
        }
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }
        return Directory.GetDirectories(root)
            .Select(d => (Path: Path.Combine(d, "bin"), Version: ParseVersion(Path.GetFileName(d))))
            .Where(c => c.Version is not null && File.Exists(Path.Combine(c.Path, "pg_ctl")) && File.Exists(Path.Combine(c.Path, "initdb")))
            .OrderByDescending(c => c.Version)
            .Select(c => c.Path)
            .FirstOrDefault();
    }

    private static Version? ParseVersion(string name) =>
        Version.TryParse(name.Contains('.') ? name : name + ".0", out var v) ? v : null;

    private static async Task RunAsUserCheckedAsync(string? runAs, string fileName, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken ct)
    {
        var (file, args) = ProcessRunner.AsUser(runAs, fileName, arguments);
        await RunCheckedAsync(file, args, timeout, ct).ConfigureAwait(false);
    }

    private static async Task RunCheckedAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken ct)
    {
        var result = await ProcessRunner.RunAsync(fileName, arguments, timeout, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(fileName)} failed with {result.Describe()}");
        }
    }

    internal static async Task WaitForTcpAsync(int port, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port, ct).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, ct).ConfigureAwait(false);
            }
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex DatabaseName();
}
