namespace Gateway.Benchmarks;

/// <summary>Everything one run measured; the report reads only this.</summary>
public sealed class BenchmarkResults
{
    public LoadResult? Echo { get; set; }
    public LoadResult? IssueCertificate { get; set; }
    public LoadResult? Replay { get; set; }
    public LoadResult? GetTransfer { get; set; }
    public LoadResult? PgCommits { get; set; }
    public LoadResult? PgCounterCommits { get; set; }
    public LoadResult? PgTransferReads { get; set; }
    public LoadResult? ViewCpu { get; set; }
    public int CertificateRegions { get; set; }
    public TransferPhaseResult? Transfers { get; set; }
    public KafkaRoundTripResult? KafkaRoundTrip { get; set; }
    public KafkaThroughputResult? KafkaThroughput { get; set; }
    public List<MemorySnapshot> Memory { get; } = [];
    public int EchoPayloadBytes { get; set; }
    public List<string> Problems { get; } = [];

    public MemorySnapshot? MemoryAt(string label) => Memory.FirstOrDefault(m => m.Label == label);
}
