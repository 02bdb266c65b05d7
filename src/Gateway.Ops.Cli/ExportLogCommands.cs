using System.CommandLine;
using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Ops.V1;
using Gateway.Messaging.Signing;
using Google.Protobuf;

namespace Gateway.Ops.Cli;

/// <summary>
/// `gateway-ops export-log` writes one exchange's message log entries, with the signed envelopes they are about, to a
/// JSON file; `gateway-ops verify-export` checks such a file with nothing but the province directory, as the other
/// province's auditor would (docs/security.md, "Exporting one exchange").
/// </summary>
public static class ExportLogCommands
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithIndentation());
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default);

    public static IEnumerable<Command> Build(SessionFactory sessions)
    {
        var correlation = new Argument<string>("correlation-id") { Description = "The exchange: a transfer id, or a record id for record sync." };
        var output = new Option<string>("--out") { Description = "File to write (JSON of gateway.ops.v1.ExportExchangeLogResponse).", Required = true };
        var export = new Command("export-log", """
            Export one exchange's sealed message log entries with the signed envelopes sent and received, and the signed head
            that covers them, for the other province's auditor. Check the file with verify-export.
            """) { correlation, output };
        export.SetAction(async (p, ct) =>
        {
            using var s = sessions.Open(p);
            var response = await s.Ops().ExportExchangeLogAsync(new ExportExchangeLogRequest { CorrelationId = p.GetValue(correlation)! },
                s.Call().WithCancellationToken(ct));
            var path = p.GetValue(output)!;
            await File.WriteAllTextAsync(path, Formatter.Format(response), ct);
            await s.Output.WriteLineAsync($"wrote {response.Entries.Count} entries of exchange {response.CorrelationId} from province {response.Province} to {path}" +
                (response.Unsealed > 0 ? $" ({response.Unsealed} more not sealed yet: export again shortly)" : "") +
                (response.Truncated ? " (truncated at the first 1,000)" : ""));
            return ExitCodes.Ok;
        });

        var file = new Argument<string>("file") { Description = "A file written by export-log." };
        var directory = new Option<string>("--directory")
        {
            Description = "The province directory (file, or folder of *.json): envelope signatures and the head are checked against it.",
            Required = true,
        };
        var verify = new Command("verify-export", $"""
            Check an export-log file: every entry re-chains from its previous hash, every envelope matches its entry's digest and
            its sender's signature verifies, and the covering head is signed by the exporting province.
            Exit {ExitCodes.Ok}: verified; {VerifyLogCommand.Broken}: something does not verify (printed); {ExitCodes.Usage}: unreadable file or directory.
            """) { file, directory };
        verify.SetAction(async (p, ct) =>
        {
            TrustDirectory trust;
            ExportExchangeLogResponse export;
            try
            {
                trust = VerifyLogCommand.LoadDirectory(p.GetValue(directory)!);
                export = Parser.Parse<ExportExchangeLogResponse>(await File.ReadAllTextAsync(p.GetValue(file)!, ct));
            }
            catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException or InvalidProtocolBufferException
                                           or InvalidJsonException)
            {
                throw new UsageException($"cannot read the export or the directory: {ex.Message}");
            }
            var report = ExportVerifier.Verify(export, trust);
            var writer = sessions.Output;
            foreach (var line in report.Lines) await writer.WriteLineAsync(line);
            return report.Ok ? ExitCodes.Ok : VerifyLogCommand.Broken;
        });
        return [export, verify];
    }
}

/// <summary>The checks of verify-export, on a parsed export (pure: testable without a node).</summary>
public static class ExportVerifier
{
    public static LogReport Verify(ExportExchangeLogResponse export, TrustDirectory directory)
    {
        var lines = new List<string>();
        var problems = new List<string>();
        long? firstBroken = null;
        void Break(long seq, string what)
        {
            firstBroken ??= seq;
            problems.Add($"BROKEN at seq {seq}: {what}");
        }

        long previousSeq = 0;
        foreach (var x in export.Entries)
        {
            var e = x.Entry;
            if (e is null) { Break(previousSeq + 1, "an entry without its fields"); continue; }
            if (e.Seq <= previousSeq) Break(e.Seq, $"entries are out of seq order (after {previousSeq})");
            previousSeq = e.Seq;
            if (e.CorrelationId != export.CorrelationId) Break(e.Seq, $"the entry is about exchange '{e.CorrelationId}', not {export.CorrelationId}");

            var hash = MessageLogFormat.ChainHash(x.PreviousHash.Span, new MessageLogFields(e.Seq, e.Kind, e.MessageId, e.MessageType, e.Sender,
                e.Receiver, e.CorrelationId, e.Digest.ToByteArray(), e.At.ToDateTimeOffset()));
            if (!hash.AsSpan().SequenceEqual(e.Hash.Span))
            {
                Break(e.Seq, "its hash does not recompute from its fields and the previous hash: the entry was changed");
                continue;
            }
            if (e.Kind is "sent" or "received")
            {
                if (EnvelopeProblem(x, directory, export.Province) is { } problem) Break(e.Seq, problem);
                else lines.Add($"seq {e.Seq} {e.Kind} {e.MessageType} {e.Sender}→{e.Receiver}: envelope matches the entry; signed by {e.Sender} " +
                               $"(key {Envelope.Parser.ParseFrom(x.Envelope).Signature.KeyId}), signature valid");
            }
            else if (e.Kind == "dead_lettered")
            {
                var raw = x.Envelope.ToByteArray();
                var digestOk = MessageLogFormat.RecordDigest(raw).AsSpan().SequenceEqual(e.Digest.Span)
                               || (TryParse(raw) is { } dead && MessageLogFormat.EnvelopeDigest(dead).AsSpan().SequenceEqual(e.Digest.Span));
                if (!digestOk) Break(e.Seq, "the dead-lettered record's bytes do not match the entry's digest");
                else lines.Add($"seq {e.Seq} dead_lettered {e.MessageId}: record matches the entry (refused by the node; its signature is not required to hold)");
            }
            else lines.Add($"seq {e.Seq} {e.Kind} {e.MessageType} by {e.Sender}: entry chains");
        }

        var last = export.Entries.Count == 0 ? 0 : export.Entries[^1].Entry?.Seq ?? 0;
        if (export.CoveringHead is { } h)
        {
            if (h.Province != export.Province) Break(h.Seq, $"the head is signed as province {h.Province}, but the export is from {export.Province}");
            else if (h.Seq < last) Break(h.Seq, $"the head (seq {h.Seq}) is before the last entry (seq {last})");
            else if (MessageLogFormat.HeadProblem(directory, h.Province, h.Seq, h.Hash.Span, h.SignedAt.ToDateTimeOffset(), h.Algorithm, h.KeyId,
                         h.Signature.ToByteArray()) is { } problem)
                Break(h.Seq, $"the covering head's signature does not hold: {problem}");
            else if (h.Seq == last && !h.Hash.Span.SequenceEqual(export.Entries[^1].Entry.Hash.Span))
                Break(h.Seq, "the covering head signs another hash than the last entry's");
            else lines.Add($"head at seq {h.Seq} signed by province {h.Province} (key {h.KeyId}): valid" +
                           (h.Seq > last ? $"; entries {last + 1}..{h.Seq} between are other exchanges': verify-log --from-seq {export.Entries[0].Entry.Seq} --to-seq {h.Seq} on the node checks the chain through them" : ""));
        }
        else lines.Add("note: no signed head covers these entries yet: export again after the node signs its next head");

        if (problems.Count > 0) return new LogReport(false, firstBroken, [.. problems, .. lines]);
        lines.Insert(0, $"OK: {export.Entries.Count} entries of exchange {export.CorrelationId} from province {export.Province} verified" +
                        (export.Unsealed > 0 ? $" ({export.Unsealed} not sealed when exported)" : ""));
        return new LogReport(true, null, lines);
    }

    private static string? EnvelopeProblem(ExportedLogEntry x, TrustDirectory directory, string exporter)
    {
        var e = x.Entry;
        if (x.Envelope.IsEmpty) return "the entry has no envelope";
        if (TryParse(x.Envelope.ToByteArray()) is not { } envelope) return "its envelope bytes do not parse";
        if (!MessageLogFormat.EnvelopeDigest(envelope).AsSpan().SequenceEqual(e.Digest.Span))
            return "the envelope does not match the entry's digest: the envelope or its signature was changed";
        if (envelope.MessageId != e.MessageId || envelope.MessageType != e.MessageType || envelope.SenderProvince != e.Sender
            || envelope.ReceiverProvince != e.Receiver)
            return "the envelope's identity fields differ from the entry's";
        // Checked as the receiver checked it; the freshness window is the receiver's concern at arrival, not an auditor's.
        var receiver = e.Kind == "received" ? exporter : envelope.ReceiverProvince;
        return EnvelopeVerifier.Check(envelope, directory, receiver) is { } problem ? $"{problem.Code}: {problem.Message}" : null;
    }

    private static Envelope? TryParse(byte[] bytes)
    {
        try { return bytes.Length == 0 ? null : Envelope.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException) { return null; }
    }
}
