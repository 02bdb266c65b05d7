namespace Gateway.Domain.Transfers;

/// <summary>Which side a node's copy of a transfer belongs to.</summary>
public enum TransferRole
{
    /// <summary>Transfer-out agency (转出地).</summary>
    Origin,
    /// <summary>Transfer-in agency (转入地): accepts the application and is responsible for completing it.</summary>
    Destination,
}
