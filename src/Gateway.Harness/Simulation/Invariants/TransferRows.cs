namespace Gateway.Harness.Simulation.Invariants;

/// <summary>One node's row of one transfer, as the invariants read it.</summary>
public sealed record TransferRow(string Province, string TransferId, string Role, string State, long? TableAmount, long? Transferred,
    long? Credited, string? HoldReason, bool ExchangeFailed, string? FailureReason, string? ReturnReason)
{
    public bool Visible => HoldReason is not null || ExchangeFailed;
    public string Reason => HoldReason ?? FailureReason ?? "";
}

internal static class TransferRows
{
    /// <summary>Every node's transfer rows, by (province, transfer id).</summary>
    public static async Task<Dictionary<(string, string), TransferRow>> LoadAsync(SimulationState state)
    {
        var rows = new Dictionary<(string, string), TransferRow>();
        foreach (var node in state.Nodes)
            foreach (var row in await state.Db(node.Province).QueryAsync("""
                SELECT transfer_id, role, state, table_amount_fen, transferred_amount_fen, credited_amount_fen, hold_reason, exchange_failed, failure_reason, return_reason
                FROM transfers
                """, r => new TransferRow(node.Province, r.GetString(0), r.GetString(1), r.GetString(2), HarnessDb.Long(r, 3), HarnessDb.Long(r, 4),
                    HarnessDb.Long(r, 5), HarnessDb.Str(r, 6), r.GetBoolean(7), HarnessDb.Str(r, 8), HarnessDb.Str(r, 9))))
                rows[(node.Province, row.TransferId)] = row;
        return rows;
    }
}
