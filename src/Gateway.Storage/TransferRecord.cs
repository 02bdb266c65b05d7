using Gateway.Domain.Transfers;

namespace Gateway.Storage;

/// <summary>One row of the transfers table: the domain snapshot plus what only the node knows.</summary>
public sealed class TransferRecord
{
    public required TransferSnapshot Snapshot { get; set; }
    public required string CertificateNumber { get; init; }
    public required string Certno { get; init; }
    public bool ExchangeFailed { get; set; }
    public string? FailureReason { get; set; }
    /// <summary>protobuf ContactLetterSent: the certificate and the letter as exchanged.</summary>
    public required byte[] Letter { get; init; }
    /// <summary>protobuf InformationTable once the origin built it.</summary>
    public byte[]? InfoTable { get; set; }
    /// <summary>Why the transfer waits for operators (credit mismatch, invalid table after debit, answer conflict); null when not held.</summary>
    public string? HoldReason { get; set; }
    /// <summary>protobuf ContinuityDecision: the destination's benefit-continuity outcome, once the table arrived.</summary>
    public byte[]? Continuity { get; set; }
    public int Version { get; set; } = 1;
    public DateTimeOffset UpdatedAt { get; set; }

    public string TransferId => Snapshot.Id;
    public bool IsOrigin => Snapshot.Role == TransferRole.Origin;
    public string CounterpartProvince => (IsOrigin ? Snapshot.Destination : Snapshot.Origin).Value;

    public Transfer ToDomain() => Transfer.Restore(Snapshot);
}

public sealed record TimelineRow(int Seq, string Event, DateOnly On, DateTimeOffset At, string Detail);
