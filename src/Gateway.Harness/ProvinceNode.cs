using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics;
using Gateway.Node;
using Gateway.ProvinceSimulator;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;

namespace Gateway.Harness;

/// <summary>One province's node (in-process or a child process) with its simulated province system.</summary>
public sealed class ProvinceNode : IAsyncDisposable
{
    private readonly string[] _args;
    private readonly bool _asProcess;
    private WebApplication? _app;
    private Process? _process;

    private readonly TimeProvider? _time;
    private readonly Microsoft.Extensions.Logging.ILoggerProvider? _logs;
    // A cluster on a ClusterClock runs its node processes as Gateway.Harness.NodeHost, which reads this offset file.
    private readonly string? _clockFile;

    internal ProvinceNode(string province, int port, string connectionString, string[] args, bool asProcess, SyntheticRegistry registry,
        TimeProvider? time = null, Gateway.Contracts.ClientTls? tls = null, Microsoft.Extensions.Logging.ILoggerProvider? logs = null,
        string? clockFile = null)
    {
        _time = time;
        _clockFile = clockFile;
        _logs = logs;
        Province = province;
        Port = port;
        ConnectionString = connectionString;
        _args = args;
        _asProcess = asProcess;
        Registry = registry;
        Address = new Uri($"{(tls is null ? "http" : "https")}://127.0.0.1:{port}");
        // With TLS the channel is the province's system (its certificate); tests open others with ClusterTls.
        Channel = tls is null ? GrpcChannel.ForAddress(Address) : GrpcChannel.ForAddress(Address, new GrpcChannelOptions { HttpHandler = tls.Handler() });
    }

    public string Province { get; }
    public int Port { get; }
    public Uri Address { get; }
    public string ConnectionString { get; }
    public GrpcChannel Channel { get; }
    public SyntheticRegistry Registry { get; }
    public SimulatedProvinceSystem? Simulator { get; internal set; }
    /// <summary>The in-process node's services while it runs (null for a node run as a process).</summary>
    public IServiceProvider? Services => _app?.Services;
    public bool IsRunning => _asProcess ? _process is { HasExited: false } : _app is not null;
    public int? ProcessId => _process?.Id;

    public async Task StartAsync(CancellationToken ct = default)
    {
        if (IsRunning) return;
        if (_asProcess)
        {
            _process?.Dispose();
            var dll = Path.Combine(AppContext.BaseDirectory, _clockFile is null ? "Gateway.Node.dll" : "Gateway.Harness.NodeHost.dll");
            var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(dll);
            if (_clockFile is not null) psi.ArgumentList.Add($"--Harness:ClockFile={_clockFile}");
            foreach (var a in _args) psi.ArgumentList.Add(a);
            _process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start the node process.");
            _process.OutputDataReceived += (_, _) => { };
            _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[node {Province}] {e.Data}"); };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }
        else
        {
            // A test's clock replaces the system one, so it can move the node's "now" (deadlines, overdue) while it runs.
            var app = NodeApplication.Build(_args, b =>
            {
                if (_time is { } time) b.Services.AddSingleton(time);
                if (_logs is { } logs) b.Services.AddSingleton(logs); // every ILoggerProvider in the container is one the host logs to
            });
            await app.StartNodeAsync(ct);
            _app = app;
        }
        // 32 node processes on 2 cores take close to a minute to start under load.
        await WaitHealthyAsync(TimeSpan.FromSeconds(180), ct);
    }

    /// <summary>Graceful stop: the host's shutdown for an in-process node, SIGTERM (then SIGKILL after 10 s) for a process.</summary>
    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
        if (_process is { HasExited: false } process)
        {
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString()])!) await term.WaitForExitAsync();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await process.WaitForExitAsync(wait.Token); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); await process.WaitForExitAsync(); }
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>Kills the node process without warning (SIGKILL): nothing in it gets to finish.</summary>
    public async Task KillAsync()
    {
        if (_process is null) throw new InvalidOperationException("Only a node started as a process can be killed.");
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    private async Task WaitHealthyAsync(TimeSpan timeout, CancellationToken ct)
    {
        var client = new Grpc.Health.V1.Health.HealthClient(Channel);
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process is { HasExited: true })
                throw new InvalidOperationException($"Node {Province} exited with code {_process.ExitCode} while starting.");
            try
            {
                var reply = await client.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: ct);
                if (reply.Status == Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving) return;
            }
            catch (Grpc.Core.RpcException) { }
            if (DateTime.UtcNow >= until) throw new TimeoutException($"Node {Province} did not become healthy within {timeout}.");
            await Task.Delay(100, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Simulator is not null) await Simulator.DisposeAsync();
        await StopAsync();
        Channel.Dispose();
    }
}
