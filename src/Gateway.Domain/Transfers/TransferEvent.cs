namespace Gateway.Domain.Transfers;

/// <summary>Things that can happen to a transfer after it is created (the argument-free part, for legality checks).</summary>
public enum TransferEvent
{
    SendLetter,
    RequestWithdrawal,
    Withdraw,
    ReturnLetter,
    SendInfoTable,
    Complete,
    Acknowledge,
}
