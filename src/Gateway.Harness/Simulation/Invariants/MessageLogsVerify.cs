using Gateway.Contracts.Ops.V1;
using Gateway.Messaging.Signing;
using Gateway.Ops.Cli;

namespace Gateway.Harness.Simulation.Invariants;

/// <summary>Each node's hash-chained message log verifies end to end with the same verifier as `gateway-ops verify-log`.</summary>
public sealed class MessageLogsVerify : IInvariant
{
    public string Name => nameof(MessageLogsVerify);
    public string Description => "every node's message log and signed heads verify (gateway-ops verify-log)";

    public async Task<InvariantResult> CheckAsync(SimulationState state, CancellationToken ct)
    {
        var directory = VerifyLogCommand.LoadDirectory(state.Cluster.Keys.DirectoryPath);
        var problems = new List<string>();
        var summaries = new List<string>();
        foreach (var node in state.Nodes)
        {
            var ops = new OpsService.OpsServiceClient(node.Channel);
            var report = await new LogVerifier(directory,
                async (seq, token) => await ops.ListMessageLogAsync(new ListMessageLogRequest { FromSeq = seq, PageSize = 500 }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: token),
                async (seq, token) => await ops.ListMessageLogHeadsAsync(new ListMessageLogHeadsRequest { FromSeq = seq, PageSize = 500 }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: token))
                .VerifyAsync(1, null, ct);
            if (!report.Ok) problems.Add($"node {node.Province}: {report.Lines.FirstOrDefault(l => l.StartsWith("BROKEN")) ?? string.Join("; ", report.Lines)}");
            else summaries.Add($"{node.Province}: {report.Lines.LastOrDefault()}");
        }
        return InvariantResult.From(problems, $"{state.Nodes.Count()} logs verified" + (summaries.Count <= 4 ? $" ({string.Join("; ", summaries)})" : ""));
    }
}
