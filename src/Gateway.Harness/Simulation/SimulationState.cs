using System.Collections.Concurrent;
using Gateway.ProvinceSimulator;

namespace Gateway.Harness.Simulation;

/// <summary>How a workload transfer was meant to go.</summary>
public enum TransferPlan { Complete, LetterReturned, Withdrawn }

/// <summary>One transfer the workload started: who, which plan, what the nodes answered.</summary>
public sealed class TransferRun(int index, string origin, string destination, string certno, TransferPlan plan)
{
    public int Index { get; } = index;
    public string Origin { get; } = origin;
    public string Destination { get; } = destination;
    public string Certno { get; } = certno;
    public TransferPlan Plan { get; } = plan;
    public string? CertificateNumber { get; set; }
    public string? TransferId { get; set; }
    /// <summary>The withdrawal was accepted by the destination (it may still be refused by the origin).</summary>
    public bool WithdrawalRequested { get; set; }
    /// <summary>Why a call of this transfer was not answered OK in the end (null: every call was).</summary>
    public string? Error { get; set; }
}

/// <summary>One filing the workload created and moved through its lifecycle; the owner's last answered version.</summary>
public sealed class FilingRun(string owner, string filingId, string certno)
{
    public string Owner { get; } = owner;
    public string FilingId { get; } = filingId;
    public string Certno { get; } = certno;
    public long Version { get; set; }
    public List<string> Steps { get; } = [];
    public string? Error { get; set; }
}

/// <summary>A duplicate enrolment the workload made: the same person's employee insurance published by two provinces.</summary>
public sealed record DuplicatePair(string Certno, string FirstOwner, string FirstRecordId, string SecondOwner, string SecondRecordId);

/// <summary>A mutating call the node answered OK, and the row that answer promises.</summary>
public sealed record AnsweredCall(string Province, string Method, string IdempotencyKey, string Entity, long Version = 0);

/// <summary>An envelope the fault schedule wrote onto an inbox that must be dead-lettered, never applied.</summary>
public sealed record InjectedEnvelope(string Province, string What, byte[] Payload, string? MessageId);

/// <summary>Everything a run did and observed that the invariants check against the nodes' databases and registries.</summary>
public sealed class SimulationState(GatewayCluster cluster, Scenario scenario)
{
    public GatewayCluster Cluster { get; } = cluster;
    public Scenario Scenario { get; } = scenario;

    /// <summary>Per identity number: the sum of that person's balances over every registry at the start.</summary>
    public Dictionary<string, long> InitialBalances { get; } = new(StringComparer.Ordinal);
    public long InitialTotal { get; set; }

    public ConcurrentQueue<TransferRun> Transfers { get; } = new();
    public ConcurrentQueue<FilingRun> Filings { get; } = new();
    public ConcurrentQueue<DuplicatePair> Duplicates { get; } = new();
    public ConcurrentQueue<(string Owner, string RecordId, long Version)> Enrolments { get; } = new();
    public ConcurrentQueue<AnsweredCall> Answered { get; } = new();
    public ConcurrentQueue<InjectedEnvelope> Injected { get; } = new();
    public ConcurrentQueue<AppliedFault> Faults { get; } = new();
    /// <summary>Simulators replaced by a ProvinceSystemRestart fault, so their history still counts.</summary>
    public ConcurrentQueue<(string Province, SimulatedProvinceSystem System)> RetiredSimulators { get; } = new();

    /// <summary>Calls that failed for good (after retries), by status: the run reports them; INTERNAL/UNKNOWN break TransfersSettled.</summary>
    public ConcurrentDictionary<string, int> CallFailures { get; } = new(StringComparer.Ordinal);

    public IEnumerable<ProvinceNode> Nodes => Cluster.Nodes.Values;

    /// <summary>Provinces whose simulated province system the harness runs (all but an integrator's).</summary>
    public IEnumerable<ProvinceNode> SimulatedNodes => Nodes.Where(n => n.Province != Scenario.ExternalSystem);

    public HarnessDb Db(string province) => new(Cluster[province].ConnectionString);

    /// <summary>Snapshot of every registry's balances, taken before the workload starts.</summary>
    public void RecordInitialBalances()
    {
        InitialBalances.Clear();
        foreach (var node in SimulatedNodes)
            foreach (var person in node.Registry.People)
                InitialBalances[person.IdentityNumber] = InitialBalances.GetValueOrDefault(person.IdentityNumber) + person.BalanceFen;
        InitialTotal = InitialBalances.Values.Sum();
    }

    public static string Mask(string certno) =>
        Gateway.Domain.Values.PersonalData.Mask(Gateway.Domain.Values.PersonalDataKind.IdentityNumber, certno);
}
