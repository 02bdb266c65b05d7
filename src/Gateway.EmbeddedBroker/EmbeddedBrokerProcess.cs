using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using Confluent.Kafka;

namespace Gateway.EmbeddedBroker;

/// <summary>
/// Runs the broker executable as a child process and drives its fault API over stdin.
/// The child also exits when our end of its stdin closes, so a crashed parent leaves no broker behind.
/// </summary>
public sealed class EmbeddedBrokerProcess : IAsyncDisposable
{
    private static readonly TimeSpan DefaultStartupTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly Channel<string> _answers = Channel.CreateUnbounded<string>();
    private readonly TaskCompletionSource<string> _bootstrap = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<string> _stderrTail = new();
    private readonly SemaphoreSlim _commandGate = new(1, 1);
    private readonly Task _stdoutPump;
    private bool _inputClosed;

    private EmbeddedBrokerProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) => RememberStderr(e.Data);
        _process.BeginErrorReadLine();
        _stdoutPump = Task.Run(PumpStdoutAsync);
    }

    public string BootstrapServers { get; private set; } = "";

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>dotnet Gateway.EmbeddedBroker.dll</c> and waits for its bootstrap line.</summary>
    public static async Task<EmbeddedBrokerProcess> StartAsync(
        EmbeddedBrokerOptions? options = null, TimeSpan? startupTimeout = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmbeddedBrokerOptions();
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false), // a BOM would corrupt the first command
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(typeof(EmbeddedBrokerProcess).Assembly.Location);
        start.ArgumentList.Add("--brokers");
        start.ArgumentList.Add(options.BrokerCount.ToString());
        start.ArgumentList.Add("--rebalance-delay-ms");
        start.ArgumentList.Add(((long)options.GroupInitialRebalanceDelay.TotalMilliseconds).ToString());
        foreach (var topic in options.Topics)
        {
            start.ArgumentList.Add("--topic");
            start.ArgumentList.Add(topic.ToString());
        }

        var process = Process.Start(start) ?? throw new EmbeddedBrokerException("could not start the broker process");
        var broker = new EmbeddedBrokerProcess(process);
        try
        {
            broker.BootstrapServers = await broker._bootstrap.Task
                .WaitAsync(startupTimeout ?? DefaultStartupTimeout, cancellationToken).ConfigureAwait(false);
            return broker;
        }
        catch (Exception ex)
        {
            await broker.DisposeAsync().ConfigureAwait(false);
            if (ex is EmbeddedBrokerException or OperationCanceledException) throw;
            throw new EmbeddedBrokerException("broker process did not report its bootstrap servers: " + ex.Message + broker.StderrSummary());
        }
    }

    public Task SetBrokerDownAsync(int brokerId, CancellationToken ct = default) => SendAsync(BrokerCommands.Down(brokerId), ct);

    public Task SetBrokerUpAsync(int brokerId, CancellationToken ct = default) => SendAsync(BrokerCommands.Up(brokerId), ct);

    public Task SetRoundTripTimeAsync(int brokerId, TimeSpan rtt, CancellationToken ct = default) =>
        SendAsync(BrokerCommands.Rtt(brokerId, rtt), ct);

    public Task PushRequestErrorsAsync(KafkaApi api, IReadOnlyCollection<ErrorCode> errors, CancellationToken ct = default) =>
        errors.Count == 0 ? Task.CompletedTask : SendAsync(BrokerCommands.Errors(api, errors), ct);

    public Task PushRequestErrorsAsync(KafkaApi api, params ErrorCode[] errors) => PushRequestErrorsAsync(api, errors, default);

    public Task ClearRequestErrorsAsync(KafkaApi api, CancellationToken ct = default) => SendAsync(BrokerCommands.ClearErrors(api), ct);

    public Task SetPartitionLeaderAsync(string topic, int partition, int brokerId, CancellationToken ct = default) =>
        SendAsync(BrokerCommands.Leader(topic, partition, brokerId), ct);

    public Task CreateTopicAsync(string name, int partitions, int replicationFactor = 1, CancellationToken ct = default) =>
        SendAsync(BrokerCommands.Topic(name, partitions, replicationFactor), ct);

    public Task SetGroupInitialRebalanceDelayAsync(TimeSpan delay, CancellationToken ct = default) =>
        SendAsync(BrokerCommands.RebalanceDelay(delay), ct);

    /// <summary>Sends <c>quit</c> and waits for the process to end; returns its exit code.</summary>
    public async Task<int> QuitAsync(TimeSpan timeout)
    {
        await SendAsync(BrokerCommands.Quit, CancellationToken.None).ConfigureAwait(false);
        return await WaitForExitAsync(timeout).ConfigureAwait(false);
    }

    /// <summary>Closes the child's stdin (as a dying parent would) and waits for it to end; returns its exit code.</summary>
    public async Task<int> CloseInputAsync(TimeSpan timeout)
    {
        await _commandGate.WaitAsync().ConfigureAwait(false);
        try
        {
            CloseInput();
        }
        finally
        {
            _commandGate.Release();
        }
        return await WaitForExitAsync(timeout).ConfigureAwait(false);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"broker process {_process.Id} did not exit within {timeout}");
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                CloseInput();
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync().ConfigureAwait(false);
                }
            }
            await _stdoutPump.ConfigureAwait(false);
        }
        finally
        {
            _process.Dispose();
            _commandGate.Dispose();
        }
    }

    private async Task SendAsync(string command, CancellationToken ct)
    {
        await _commandGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_inputClosed || _process.HasExited)
                throw new EmbeddedBrokerException("broker process is not running" + StderrSummary());
            await _process.StandardInput.WriteLineAsync(command.AsMemory(), ct).ConfigureAwait(false);
            await _process.StandardInput.FlushAsync(ct).ConfigureAwait(false);

            string answer;
            try
            {
                answer = await _answers.Reader.ReadAsync(ct).AsTask().WaitAsync(CommandTimeout, ct).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                throw new EmbeddedBrokerException($"broker process ended while running '{command}'" + StderrSummary());
            }
            if (answer == BrokerCommands.Ok) return;
            var message = answer.StartsWith(BrokerCommands.ErrorPrefix, StringComparison.Ordinal)
                ? answer[BrokerCommands.ErrorPrefix.Length..]
                : $"unexpected answer '{answer}'";
            throw new EmbeddedBrokerException($"'{command}': {message}");
        }
        finally
        {
            _commandGate.Release();
        }
    }

    private async Task PumpStdoutAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (!_bootstrap.Task.IsCompleted && line.StartsWith(BrokerCommands.BootstrapPrefix, StringComparison.Ordinal))
                    _bootstrap.TrySetResult(line[BrokerCommands.BootstrapPrefix.Length..].Trim());
                else
                    _answers.Writer.TryWrite(line);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process went away; the closing below reports it to waiters.
        }
        _answers.Writer.TryComplete();
        _bootstrap.TrySetException(new EmbeddedBrokerException("broker process exited before it was ready" + StderrSummary()));
    }

    private void CloseInput()
    {
        if (_inputClosed) return;
        _inputClosed = true;
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // Already gone.
        }
    }

    private void RememberStderr(string? line)
    {
        if (line is null) return;
        _stderrTail.Enqueue(line);
        while (_stderrTail.Count > 40) _stderrTail.TryDequeue(out _);
    }

    private string StderrSummary() =>
        _stderrTail.IsEmpty ? "" : Environment.NewLine + "stderr: " + string.Join(Environment.NewLine, _stderrTail);

    // The SDK tells child tools where its host is; otherwise we are usually running under it ourselves.
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
            return hostPath;
        if (Environment.ProcessPath is { } self
            && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            return self;
        return "dotnet";
    }
}
