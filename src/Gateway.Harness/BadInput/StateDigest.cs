using Npgsql;

namespace Gateway.Harness.BadInput;

/// <summary>
/// Row count and MD5 over the business tables of every node's database, as one comparable value. Left out, because they
/// change without any input taking effect: receipts and the outbox's delivery columns (the relay), work-item delivery
/// counts (streams), the change log's seq (assigned by readers), dead letters, refused or not-found operator actions and
/// the message log (a refusal is recorded by design), idempotency key expiry.
/// </summary>
public sealed record StateDigest(IReadOnlyDictionary<string, string> Tables)
{
    private static readonly (string Table, string Sql)[] Queries =
    [
        ("transfers", "SELECT t::text AS r FROM transfers t"),
        ("transfer_timeline", "SELECT t::text AS r FROM transfer_timeline t"),
        ("certificates", "SELECT t::text AS r FROM certificates t"),
        ("document_numbers", "SELECT t::text AS r FROM document_numbers_used t"),
        ("withdrawn_before_letter", "SELECT t::text AS r FROM withdrawn_before_letter t"),
        ("work_items", "SELECT concat_ws('|', item_id, kind, transfer_id, md5(payload), status, answered_at, md5(answer)) AS r FROM work_items"),
        ("work_item_answer_conflicts", "SELECT t::text AS r FROM work_item_answer_conflicts t"),
        ("filings", "SELECT t::text AS r FROM filings t"),
        ("enrolment_records", "SELECT t::text AS r FROM enrolment_records t"),
        ("duplicate_findings", "SELECT t::text AS r FROM duplicate_findings t"),
        ("record_changes", "SELECT concat_ws('|', id, kind, owner_province, record_id, person_key, version, change, md5(payload)) AS r FROM record_changes"),
        ("backfill_runs", "SELECT t::text AS r FROM backfill_runs t"),
        ("resend_jobs", "SELECT concat_ws('|', id, state, counterpart, matched, operator, reason) AS r FROM resend_jobs"),
        ("outbox", "SELECT concat_ws('|', message_id, message_type, receiver, md5(payload)) AS r FROM outbox WHERE message_type <> 'Receipt'"),
        ("inbox", "SELECT concat_ws('|', message_id, message_type, sender) AS r FROM inbox"),
        ("idempotency_keys", "SELECT concat_ws('|', key, method, md5(request_hash), md5(response)) AS r FROM idempotency_keys"),
        ("operator_actions", "SELECT concat_ws('|', id, action, subject, result) AS r FROM audit_log WHERE result IS NULL OR (result NOT LIKE 'REFUSED%' AND result <> 'NOT_FOUND')"),
        ("dead_letter_reruns", "SELECT concat_ws('|', id, rerun_count, never_rerun) AS r FROM dead_letters WHERE rerun_count > 0 OR never_rerun"),
    ];

    public static async Task<StateDigest> TakeAsync(GatewayCluster cluster, CancellationToken ct = default)
    {
        var tables = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (province, node) in cluster.Nodes.OrderBy(n => n.Key, StringComparer.Ordinal))
        {
            await using var conn = new NpgsqlConnection(node.ConnectionString);
            await conn.OpenAsync(ct);
            foreach (var (table, sql) in Queries)
            {
                await using var cmd = new NpgsqlCommand(
                    $"SELECT count(*)::text || ' rows ' || md5(coalesce(string_agg(r, E'\\n' ORDER BY r COLLATE \"C\"), '')) FROM ({sql}) q", conn);
                tables[$"{province}/{table}"] = (string)(await cmd.ExecuteScalarAsync(ct))!;
            }
        }
        return new StateDigest(tables);
    }

    /// <summary>"province/table: before → after" for each table that differs (empty when equal).</summary>
    public IReadOnlyList<string> Differences(StateDigest after) =>
        Tables.Keys.Union(after.Tables.Keys).Order(StringComparer.Ordinal)
            .Where(k => Tables.GetValueOrDefault(k) != after.Tables.GetValueOrDefault(k))
            .Select(k => $"{k}: {Tables.GetValueOrDefault(k) ?? "absent"} → {after.Tables.GetValueOrDefault(k) ?? "absent"}")
            .ToList();
}
