using Gateway.Contracts.Exchange.V1;
using Google.Protobuf;

namespace Gateway.Messaging.Signing;

/// <summary>Reason codes of envelopes refused by signature checks (the dead letter's reason starts with one).</summary>
public static class SignatureCodes
{
    public const string Missing = "SIGNATURE_MISSING";
    public const string Invalid = "SIGNATURE_INVALID";
    public const string KeyUnknown = "KEY_UNKNOWN";
    public const string KeyRevoked = "KEY_REVOKED";
    public const string KeyExpired = "KEY_EXPIRED";
    public const string Stale = "STALE_ENVELOPE";
    public const string SenderUnknown = "SENDER_UNKNOWN";
    public const string NotPermitted = "MESSAGE_NOT_PERMITTED";
}

/// <summary>Why an envelope's signature (or its freshness) does not hold.</summary>
public sealed record SignatureProblem(string Code, string Message);

/// <summary>Signs this node's envelopes with its current key: once, when the envelope is built for the outbox.</summary>
public sealed class EnvelopeSigner(TrustDirectorySource source)
{
    /// <summary>The signature type of envelopes built with Gateway:Signing:Disabled; no verifying node accepts it.</summary>
    public const string UnsignedForMeasurement = "NONE-MEASUREMENT";

    public void Sign(Envelope envelope)
    {
        if (source.Options.Disabled)
        {
            // Marked, so the outbox can tell a measurement's envelopes from a bug that skipped signing.
            envelope.Signature = new Signature { Type = UnsignedForMeasurement, KeyId = "", Value = ByteString.CopyFromUtf8(UnsignedForMeasurement) };
            return;
        }
        var key = source.Current.SigningKey;
        envelope.Signature = new Signature { Type = key.Algorithm, KeyId = key.KeyId };
        envelope.Signature.Value = ByteString.CopyFrom(SignatureAlgorithms.Sign(key.Algorithm, key.PrivateKey, EnvelopeCanonicalForm.Of(envelope)));
    }

    /// <summary>Signs with a given key (tests and tools that act as a province).</summary>
    public static void Sign(Envelope envelope, NodeSigningKey key)
    {
        envelope.Signature = new Signature { Type = key.Algorithm, KeyId = key.KeyId };
        envelope.Signature.Value = ByteString.CopyFrom(SignatureAlgorithms.Sign(key.Algorithm, key.PrivateKey, EnvelopeCanonicalForm.Of(envelope)));
    }
}

/// <summary>
/// Checks an inbound envelope against the directory before anything reads its payload: a signature, by a key the
/// directory lists for the claimed sender under that key id, not revoked, valid at sent_at, of the algorithm it names,
/// over the canonical form; and a message type the directory lets the sender send to this node.
/// </summary>
public sealed class EnvelopeVerifier(TrustDirectorySource source, string self)
{
    public SignatureProblem? Check(Envelope e) => source.Options.Disabled ? CheckDirectoryOnly(e, source.Current.Directory, self) : Check(e, source.Current.Directory, self);

    /// <summary>With signatures off for a measurement: the sender must still be listed and allowed to send this.</summary>
    private static SignatureProblem? CheckDirectoryOnly(Envelope e, TrustDirectory directory, string self)
    {
        if (directory.Find(e.SenderProvince) is null) return new(SignatureCodes.SenderUnknown, $"The directory does not list province {e.SenderProvince}.");
        return directory.MaySend(e.SenderProvince, self, e.MessageType) ? null
            : new(SignatureCodes.NotPermitted, $"The directory does not let province {e.SenderProvince} send {Bounded(e.MessageType)} to {self}.");
    }

    public static SignatureProblem? Check(Envelope e, TrustDirectory directory, string self)
    {
        var sender = directory.Find(e.SenderProvince);
        if (sender is null) return new(SignatureCodes.SenderUnknown, $"The directory does not list province {e.SenderProvince}.");
        if (e.Signature is not { } sig || sig.Value.IsEmpty) return new(SignatureCodes.Missing, "The envelope is not signed.");
        var key = sender.FindKey(sig.KeyId);
        if (key is null)
        {
            var owner = directory.OwnerOfKey(sig.KeyId);
            return new(SignatureCodes.KeyUnknown, owner is null
                ? $"Province {sender.Code} has no key '{Bounded(sig.KeyId)}' in the directory."
                : $"Key '{Bounded(sig.KeyId)}' is province {owner.Code}'s, not the sender {sender.Code}'s.");
        }
        if (key.Revoked) return new(SignatureCodes.KeyRevoked, $"Key '{key.KeyId}' of province {sender.Code} is revoked.");
        if (SentAt(e) is not { } sentAt) return new(SignatureCodes.Invalid, "The envelope has no usable sent_at.");
        if (!key.ValidAt(sentAt))
            return new(SignatureCodes.KeyExpired, $"Key '{key.KeyId}' of province {sender.Code} was not valid at sent_at {sentAt:O}.");
        if (sig.Type != key.Algorithm)
            return new(SignatureCodes.Invalid, $"The signature says '{Bounded(sig.Type)}' but key '{key.KeyId}' is {key.Algorithm}.");
        if (!SignatureAlgorithms.Verify(key.Algorithm, key.PublicKey, EnvelopeCanonicalForm.Of(e), sig.Value.ToByteArray()))
            return new(SignatureCodes.Invalid, $"The signature does not verify with key '{key.KeyId}' of province {sender.Code}.");
        if (!directory.MaySend(sender.Code, self, e.MessageType))
            return new(SignatureCodes.NotPermitted, $"The directory does not let province {sender.Code} send {Bounded(e.MessageType)} to {self}.");
        return null;
    }

    /// <summary>A message id never seen must have been sent within the window around <paramref name="receivedAt"/>.</summary>
    public SignatureProblem? CheckFresh(Envelope e, DateTimeOffset receivedAt) =>
        CheckFresh(e, receivedAt, source.Options.FreshnessPast, source.Options.FreshnessAhead);

    public static SignatureProblem? CheckFresh(Envelope e, DateTimeOffset receivedAt, TimeSpan past, TimeSpan ahead)
    {
        if (SentAt(e) is not { } sentAt) return new(SignatureCodes.Stale, "The envelope has no usable sent_at.");
        if (sentAt < receivedAt - past)
            return new(SignatureCodes.Stale, $"Sent at {sentAt:O}, more than {past.TotalDays:0.##} day(s) before it arrived ({receivedAt:O}), and never seen before.");
        if (sentAt > receivedAt + ahead)
            return new(SignatureCodes.Stale, $"Sent at {sentAt:O}, more than {ahead.TotalMinutes:0.##} minute(s) after it arrived ({receivedAt:O}).");
        return null;
    }

    /// <summary>sent_at as an instant, or null when absent or out of the Timestamp range (which would throw on conversion).</summary>
    private static DateTimeOffset? SentAt(Envelope e) =>
        e.SentAt is { Nanos: >= 0 and <= 999_999_999, Seconds: >= -62_135_596_800 and <= 253_402_300_799 } t ? t.ToDateTimeOffset() : null;

    private static string Bounded(string s)
    {
        var clean = new string(s.Take(64).Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return s.Length > 64 ? clean + "…" : clean;
    }
}
