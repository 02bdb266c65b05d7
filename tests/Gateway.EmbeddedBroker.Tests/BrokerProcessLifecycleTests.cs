using System.Runtime.InteropServices;

namespace Gateway.EmbeddedBroker.Tests;

public sealed class BrokerProcessLifecycleTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Broker_process_exits_cleanly_on_quit()
    {
        await using var broker = await EmbeddedBrokerProcess.StartAsync();
        Assert.Equal(0, await broker.QuitAsync(ExitTimeout));
        Assert.True(broker.HasExited);
    }

    [Fact]
    public async Task Broker_process_exits_cleanly_when_stdin_closes()
    {
        await using var broker = await EmbeddedBrokerProcess.StartAsync();
        Assert.Equal(0, await broker.CloseInputAsync(ExitTimeout));
    }

    [Fact]
    public async Task Broker_process_exits_cleanly_on_sigterm()
    {
        if (OperatingSystem.IsWindows()) return; // no POSIX signals to send there
        await using var broker = await EmbeddedBrokerProcess.StartAsync();
        Assert.Equal(0, Kill(broker.ProcessId, 15));
        Assert.Equal(0, await broker.WaitForExitAsync(ExitTimeout));
    }

    [Fact]
    public async Task Broker_process_commands_fail_once_it_has_quit()
    {
        await using var broker = await EmbeddedBrokerProcess.StartAsync();
        await broker.QuitAsync(ExitTimeout);
        await Assert.ThrowsAsync<EmbeddedBrokerException>(() => broker.SetBrokerUpAsync(1));
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
