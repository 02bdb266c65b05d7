using Spectre.Console;

namespace Gateway.Benchmarks;

/// <summary>The tables: absolute figures per phase, then every ratio against its same-run baseline.</summary>
public sealed class BenchmarkReport(BenchmarkSettings settings, BenchmarkResults r)
{
    public void Print()
    {
        PrintGrpc();
        PrintExchange();
        PrintMemory();
        PrintRatios();
    }

    private void PrintGrpc()
    {
        var rows = new[] { r.Echo, r.IssueCertificate, r.Replay, r.GetTransfer, r.PgCommits, r.PgCounterCommits, r.PgTransferReads, r.ViewCpu }
            .OfType<LoadResult>().ToList();
        if (rows.Count == 0) return;
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"[bold]Calls: {settings.Concurrency} concurrent callers (unless said), {settings.Duration.TotalSeconds:0.#} s each[/]")
            .AddColumns("scenario", "calls", "errors", "calls/s", "p50", "p99", "max", "allocated/call");
        foreach (var x in rows)
            table.AddRow(Markup.Escape(x.Name), x.Calls.ToString("N0"), x.Errors.ToString("N0"), Format.Rate(x.CallsPerSecond),
                Format.Ms(x.Latency.P50Ms), Format.Ms(x.Latency.P99Ms), Format.Ms(x.Latency.MaxMs), Format.Bytes(x.AllocatedPerCall));
        AnsiConsole.Write(table);
    }

    private void PrintExchange()
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Kafka: raw client vs the gateway's exchange path[/]")
            .AddColumns("figure", "value");
        if (r.KafkaRoundTrip is { } rtt)
        {
            table.AddRow("raw round trip, one message at a time", $"p50 {Format.Ms(rtt.Latency.P50Ms)}, p99 {Format.Ms(rtt.Latency.P99Ms)} ({rtt.Messages} messages)");
        }
        if (r.KafkaThroughput is { } k)
        {
            table.AddRow("raw produce (idempotent, acks=all)", $"{Format.Rate(k.ProducedPerSecond)} ({k.Messages:N0} × {k.MessageBytes} B, {k.Partitions} partitions)");
            table.AddRow("raw produce→consume", Format.Rate(k.ConsumedPerSecond));
        }
        if (r.Transfers is { } t)
        {
            table.AddRow("transfers completed on both sides", $"{t.Completed} of {t.Requested} in {t.Makespan.TotalSeconds:N2} s");
            table.AddRow("transfers/s", Format.Rate(t.TransfersPerSecond));
            table.AddRow("transfer latency, start → both sides ended", $"p50 {Format.Ms(t.EndToEnd.P50Ms)}, p99 {Format.Ms(t.EndToEnd.P99Ms)}, max {Format.Ms(t.EndToEnd.MaxMs)}");
            table.AddRow("transfer latency, start → destination completed", $"p50 {Format.Ms(t.DestinationCompleted.P50Ms)}, p99 {Format.Ms(t.DestinationCompleted.P99Ms)}");
            table.AddRow("start calls (certificate + application)", $"p50 {Format.Ms(t.Start.P50Ms)}, p99 {Format.Ms(t.Start.P99Ms)}");
            table.AddRow("envelopes published (outbox rows)", $"{t.EnvelopesPublished:N0} ({t.EnvelopeRows:N0} rows, {t.Resends:N0} re-sends)");
            table.AddRow("envelopes by type", Markup.Escape(string.Join(", ", t.EnvelopesByType.OrderBy(e => e.Key).Select(e => $"{e.Key} {e.Value}"))));
            table.AddRow("envelopes/s", Format.Rate(t.EnvelopesPerSecond));
            table.AddRow("envelopes per transfer", t.Completed > 0 ? $"{(double)t.EnvelopesPublished / t.Completed:N1}" : "-");
            table.AddRow("average envelope size", Format.Bytes(t.AverageEnvelopeBytes));
            foreach (var pool in t.PoolPeaks)
                table.AddRow($"node connection pool of {Markup.Escape(pool.Database)}",
                    $"peaks: {pool.Used} in use, {pool.Idle} idle, {pool.PendingRequests} callers queued for a connection");
            foreach (var peak in t.ConnectionPeaks)
                table.AddRow($"PostgreSQL backends of {peak.Database}", $"peaks: {peak.Connections} open, {peak.Active} active, {peak.IdleInTransaction} idle in transaction, {peak.WaitingOnLock} waiting on a lock (max_connections {t.MaxConnections} for all nodes)");
        }
        if (table.Rows.Count > 0) AnsiConsole.Write(table);
        PrintStages();
    }

    private void PrintStages()
    {
        if (r.Transfers is not { Stages.Count: > 0 } t) return;
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Where a transfer's time goes (from the nodes' stored timestamps)[/]")
            .AddColumns("stage", "count", "p50", "p99", "max");
        foreach (var s in t.Stages)
            table.AddRow(Markup.Escape(s.Stage), s.Latency.Count.ToString("N0"), Format.Ms(s.Latency.P50Ms), Format.Ms(s.Latency.P99Ms), Format.Ms(s.Latency.MaxMs));
        AnsiConsole.Write(table);
    }

    private void PrintMemory()
    {
        if (r.Memory.Count == 0) return;
        var table = new Table().Border(TableBorder.Rounded)
            .Title("[bold]Memory of this process (nodes, broker, simulators in-process; PostgreSQL and Redis are separate)[/]")
            .AddColumns("moment (after a full GC)", "working set", "private", "GC heap", "allocated so far");
        foreach (var m in r.Memory)
            table.AddRow(m.Label, Format.Bytes(m.WorkingSetBytes), Format.Bytes(m.PrivateBytes), Format.Bytes(m.GcHeapBytes), Format.Bytes(m.TotalAllocatedBytes));
        AnsiConsole.Write(table);
        if (AllocatedPerTransfer() is { } allocated && RetainedPerTransfer() is { } retained)
            AnsiConsole.MarkupLineInterpolated($"Per completed transfer: {Format.Bytes(allocated)} allocated; GC heap change across the phase {Format.Bytes(retained)} (after a full GC; near zero means nothing piles up).");
    }

    private double? AllocatedPerTransfer()
    {
        var (before, after) = (r.MemoryAt(BenchmarkRun.MemBeforeTransfers), r.MemoryAt(BenchmarkRun.MemAfterTransfers));
        if (before is null || after is null || r.Transfers is not { Completed: > 0 } t) return null;
        return (double)(after.TotalAllocatedBytes - before.TotalAllocatedBytes) / t.Completed;
    }

    private double? RetainedPerTransfer()
    {
        var (before, after) = (r.MemoryAt(BenchmarkRun.MemBeforeTransfers), r.MemoryAt(BenchmarkRun.MemAfterTransfers));
        if (before is null || after is null || r.Transfers is not { Completed: > 0 } t) return null;
        return (double)(after.GcHeapBytes - before.GcHeapBytes) / t.Completed;
    }

    private void PrintRatios()
    {
        var table = new Table().Border(TableBorder.Double).Title("[bold]Ratios against same-run baselines[/]")
            .AddColumns("figure", "measured", "baseline", "ratio");
        void Row(string figure, string measured, string baseline, string ratio) => table.AddRow(Markup.Escape(figure), measured, baseline, ratio);

        if (r.Echo is { } echo)
        {
            foreach (var node in new[] { r.IssueCertificate, r.Replay, r.GetTransfer }.OfType<LoadResult>())
            {
                Row($"{node.Name}: calls/s ÷ bare echo", Format.Rate(node.CallsPerSecond), Format.Rate(echo.CallsPerSecond), Format.Ratio(node.CallsPerSecond, echo.CallsPerSecond));
                Row($"{node.Name}: p50 ÷ bare echo", Format.Ms(node.Latency.P50Ms), Format.Ms(echo.Latency.P50Ms), Format.Ratio(node.Latency.P50Ms, echo.Latency.P50Ms));
                Row($"{node.Name}: p99 ÷ bare echo", Format.Ms(node.Latency.P99Ms), Format.Ms(echo.Latency.P99Ms), Format.Ratio(node.Latency.P99Ms, echo.Latency.P99Ms));
            }
        }
        void Throughput(string figure, LoadResult? measured, LoadResult? baseline)
        {
            if (measured is not null && baseline is not null)
                Row(figure, Format.Rate(measured.CallsPerSecond), Format.Rate(baseline.CallsPerSecond), Format.Ratio(measured.CallsPerSecond, baseline.CallsPerSecond));
        }
        Throughput("node IssueCertificate calls/s ÷ PostgreSQL insert + commit/s", r.IssueCertificate, r.PgCommits);
        Throughput("node IssueCertificate calls/s ÷ PostgreSQL shared counter + insert + commit/s", r.IssueCertificate, r.PgCounterCommits);
        Throughput("PostgreSQL shared counter commits/s ÷ independent commits/s", r.PgCounterCommits, r.PgCommits);
        Throughput("node GetTransfer calls/s ÷ PostgreSQL the same reads/s", r.GetTransfer, r.PgTransferReads);
        if (r.Transfers is { Completed: > 0 } t)
        {
            if (r.KafkaThroughput is { } k)
                Row("exchange envelopes/s ÷ raw Kafka produce→consume msgs/s", Format.Rate(t.EnvelopesPerSecond), Format.Rate(k.ConsumedPerSecond), Format.Ratio(t.EnvelopesPerSecond, k.ConsumedPerSecond));
            if (r.KafkaRoundTrip is { } rtt)
            {
                Row("transfer p50 (start → both ended) ÷ raw Kafka round trip p50", Format.Ms(t.EndToEnd.P50Ms), Format.Ms(rtt.Latency.P50Ms), Format.Ratio(t.EndToEnd.P50Ms, rtt.Latency.P50Ms));
                Row("transfer p99 ÷ raw Kafka round trip p99", Format.Ms(t.EndToEnd.P99Ms), Format.Ms(rtt.Latency.P99Ms), Format.Ratio(t.EndToEnd.P99Ms, rtt.Latency.P99Ms));
            }
            if (AllocatedPerTransfer() is { } allocated && r.Echo is { } e)
                Row("allocated per transfer ÷ allocated per bare echo call", Format.Bytes(allocated), Format.Bytes(e.AllocatedPerCall), Format.Ratio(allocated, e.AllocatedPerCall));
        }
        var (empty, idle, end) = (r.MemoryAt(BenchmarkRun.MemEmpty), r.MemoryAt(BenchmarkRun.MemIdle), r.MemoryAt(BenchmarkRun.MemEnd));
        if (empty is not null && idle is not null)
            Row("working set: idle cluster ÷ empty process", Format.Bytes(idle.WorkingSetBytes), Format.Bytes(empty.WorkingSetBytes), Format.Ratio(idle.WorkingSetBytes, empty.WorkingSetBytes));
        if (idle is not null && end is not null)
        {
            Row("working set: after the run ÷ idle cluster", Format.Bytes(end.WorkingSetBytes), Format.Bytes(idle.WorkingSetBytes), Format.Ratio(end.WorkingSetBytes, idle.WorkingSetBytes));
            Row("GC heap: after the run ÷ idle cluster", Format.Bytes(end.GcHeapBytes), Format.Bytes(idle.GcHeapBytes), Format.Ratio(end.GcHeapBytes, idle.GcHeapBytes));
        }
        if (table.Rows.Count > 0) AnsiConsole.Write(table);
    }
}
