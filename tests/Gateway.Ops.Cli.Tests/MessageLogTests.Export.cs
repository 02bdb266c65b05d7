using Gateway.Contracts.Exchange.V1;
using Gateway.Contracts.Ops.V1;
using Google.Protobuf;

namespace Gateway.Ops.Cli.Tests;

/// <summary>An auditor's export of one exchange: what each side sent and received, proven by the envelopes' own signatures.</summary>
public sealed partial class MessageLogTests
{
    [Fact]
    public async Task An_exchange_exported_by_each_side_verifies_with_the_directory_and_holds_the_other_sides_signed_envelopes()
    {
        await fx.SettledAsync(Origin);
        await fx.SettledAsync(Destination);
        var transferId = (await fx.StringsAsync(Origin, "SELECT transfer_id FROM transfers ORDER BY transfer_id LIMIT 1"))[0];

        var exports = new Dictionary<string, ExportExchangeLogResponse>();
        foreach (var province in new[] { Origin, Destination })
        {
            var path = Path.Combine(Path.GetTempPath(), $"export-{province}-{Guid.NewGuid():N}.json");
            var (code, output, error) = await RunAsync(["export-log", transferId, "--out", path, "--node", fx.Cluster[province].Address.ToString()]);
            Assert.True(code == ExitCodes.Ok, output + error);
            Assert.Contains($"of exchange {transferId} from province {province}", output);
            exports[province] = JsonParser.Default.Parse<ExportExchangeLogResponse>(await File.ReadAllTextAsync(path));

            var verified = await RunAsync(["verify-export", path, "--directory", fx.Cluster.Keys.DirectoryPath]);
            Assert.True(verified.Code == ExitCodes.Ok, verified.Out + verified.Err);
            Assert.StartsWith($"OK: {exports[province].Entries.Count} entries of exchange {transferId} from province {province} verified", verified.Out);
            Assert.Contains($"signed by province {province}", verified.Out);
            File.Delete(path);
        }

        // The origin holds the contact letter as 51 signed it: byte for byte what 51's outbox sent, its signature 51's.
        var letter = exports[Origin].Entries.Single(e => e.Entry.Kind == "received" && e.Entry.MessageType == nameof(ContactLetterSent));
        Assert.Equal(Destination, Envelope.Parser.ParseFrom(letter.Envelope).SenderProvince);
        Assert.Equal(await fx.ScalarAsync<byte[]>(Destination, "SELECT payload FROM outbox WHERE message_id = @id", ("id", letter.Entry.MessageId)),
            letter.Envelope.ToByteArray());
        // Each side's sent entries are the other's received ones, digest for digest.
        foreach (var (from, to) in new[] { (Origin, Destination), (Destination, Origin) })
        {
            var sent = exports[from].Entries.Where(e => e.Entry.Kind == "sent" && e.Entry.MessageType != nameof(Receipt))
                .ToDictionary(e => e.Entry.MessageId, e => e.Entry.Digest);
            var received = exports[to].Entries.Where(e => e.Entry.Kind == "received" && e.Entry.MessageType != nameof(Receipt))
                .ToDictionary(e => e.Entry.MessageId, e => e.Entry.Digest);
            Assert.NotEmpty(sent);
            Assert.Equal(sent.OrderBy(p => p.Key), received.OrderBy(p => p.Key));
        }
    }

    [Fact]
    public async Task A_changed_payload_byte_or_a_rewritten_entry_in_an_export_is_named_by_its_seq()
    {
        await fx.SettledAsync(Origin);
        var transferId = (await fx.StringsAsync(Origin, "SELECT transfer_id FROM transfers ORDER BY transfer_id LIMIT 1"))[0];
        var export = await fx.Ops(Origin).ExportExchangeLogAsync(new ExportExchangeLogRequest { CorrelationId = transferId });
        var index = export.Entries.ToList().FindIndex(e => e.Entry.Kind == "received" && e.Entry.MessageType == nameof(ContactLetterSent));
        var seq = export.Entries[index].Entry.Seq;

        // One payload byte of the received letter changed: it no longer matches the digest the chain holds.
        var tampered = export.Clone();
        var envelope = Envelope.Parser.ParseFrom(tampered.Entries[index].Envelope);
        var payload = envelope.Payload.ToByteArray();
        payload[payload.Length / 2] ^= 0x01;
        envelope.Payload = ByteString.CopyFrom(payload);
        tampered.Entries[index].Envelope = envelope.ToByteString();
        var (code, output, _) = await VerifyExportAsync(tampered);
        Assert.Equal(VerifyLogCommand.Broken, code);
        Assert.StartsWith($"BROKEN at seq {seq}: the envelope does not match the entry's digest", output);

        // The entry's digest rewritten to match the changed envelope: now the entry's hash does not recompute.
        tampered.Entries[index].Entry.Digest = ByteString.CopyFrom(Gateway.Messaging.Signing.MessageLogFormat.EnvelopeDigest(envelope));
        (code, output, _) = await VerifyExportAsync(tampered);
        Assert.Equal(VerifyLogCommand.Broken, code);
        Assert.StartsWith($"BROKEN at seq {seq}: its hash does not recompute", output);

        // The untouched export verifies.
        Assert.Equal(ExitCodes.Ok, (await VerifyExportAsync(export)).Code);
    }

    [Fact]
    public async Task Export_of_no_id_an_over_long_id_or_an_unknown_exchange_is_refused()
    {
        var node = fx.Cluster[Origin].Address.ToString();
        var path = Path.Combine(Path.GetTempPath(), $"export-{Guid.NewGuid():N}.json");
        foreach (var id in new[] { " ", new string('x', 65), "no-such-exchange" })
        {
            var (code, _, error) = await RunAsync(["export-log", id, "--out", path, "--node", node]);
            Assert.Equal(ExitCodes.Refused, code);
            Assert.Contains(id.Trim().Length == 0 || id.Length > 64 ? "INVALID_ARGUMENT" : "NOT_FOUND", error);
        }
        Assert.False(File.Exists(path));
    }

    private async Task<(int Code, string Out, string Err)> VerifyExportAsync(ExportExchangeLogResponse export)
    {
        var path = Path.Combine(Path.GetTempPath(), $"export-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, JsonFormatter.Default.Format(export));
        try { return await RunAsync(["verify-export", path, "--directory", fx.Cluster.Keys.DirectoryPath]); }
        finally { File.Delete(path); }
    }

    private static async Task<(int Code, string Out, string Err)> RunAsync(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync(args, output, error, name => name == "USER" ? "cli-test" : null);
        return (code, output.ToString(), error.ToString());
    }
}
