using CsCheck;
using Gateway.Contracts.Exchange.V1;
using Gateway.Messaging.Signing;
using Google.Protobuf;
using Timestamp = Google.Protobuf.WellKnownTypes.Timestamp;

namespace Gateway.Messaging.Tests;

/// <summary>The canonical form, the algorithms, the directory and the verifier's reasons, without a broker.</summary>
public sealed class EnvelopeSignatureTests
{
    /// <summary>docs/security.md's test vector, byte by byte (computed independently of this code when it was written).</summary>
    private const string VectorHex =
        "47572d454e56454c4f50452d5349472f31" + // "GW-ENVELOPE-SIG/1"
        "00000007534d322d534d33" + // signature.type "SM2-SM3"
        "0000000831352d3230323661" + // signature.key_id "15-2026a"
        "0000001131353a313554303132333a6c6574746572" + // message_id "15:15T0123:letter"
        "00000011436f6e746163744c657474657253656e74" + // message_type "ContactLetterSent"
        "000000023135" + "000000023531" + // sender "15", receiver "51"
        "0000000731355430313233" + // correlation "15T0123"
        "00000008e8b083e794a82d31" + // causation "调用-1" (UTF-8)
        "000000006955b900" + "0754d4c0" + // sent_at 2026-01-01T00:00:00.123Z: seconds, nanos
        "00000003312e30" + // schema_version "1.0"
        "000000050a03616263"; // payload (5 bytes)

    // A key pair made once for the vector; OpenSSL 3 verified this signature too:
    // openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -digest sm3 -pkeyopt distid:1234567812345678 -in vector -sigfile sig
    private const string Sm2PublicKey = "MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAE8sJ5pQNNQx3fOYxcaoPxMdQM8EynoRbN61dS/nGTxyCDbs0U7sY6/y4ZldUvqm5h3dqQxrHpgdEyRahNVRVqDA==";
    private const string Sm2Signature = "MEUCIFc6DJnB//D4weqxQeSGlhbeoPPLNRJA2T325MWET246AiEArUfe6DVXqO43n9ZOQVf0qvkZT9m5D95pCbyjCWmkZ+A=";

    private static Envelope Vector(int attempt = 3) => new()
    {
        MessageId = "15:15T0123:letter", MessageType = "ContactLetterSent", SenderProvince = "15", ReceiverProvince = "51",
        CorrelationId = "15T0123", CausationId = "调用-1", SentAt = new Timestamp { Seconds = 1767225600, Nanos = 123000000 },
        SchemaVersion = "1.0", Payload = ByteString.CopyFrom(0x0a, 0x03, 0x61, 0x62, 0x63), Attempt = attempt,
        Signature = new Signature { Type = SignatureAlgorithms.Sm2Sm3, KeyId = "15-2026a" },
    };

    [Fact]
    public void The_canonical_form_is_the_documented_test_vector_and_leaves_out_attempt_and_the_signature_value()
    {
        Assert.Equal(VectorHex, Convert.ToHexStringLower(EnvelopeCanonicalForm.Of(Vector())));
        var resent = Vector(attempt: 9);
        resent.Signature.Value = ByteString.CopyFrom(1, 2, 3);
        Assert.Equal(VectorHex, Convert.ToHexStringLower(EnvelopeCanonicalForm.Of(resent)));
    }

    [Fact]
    public void A_reused_SM2_signer_signs_each_message_on_its_own_and_switches_keys_cleanly()
    {
        var first = SignatureAlgorithms.Generate(SignatureAlgorithms.Sm2Sm3);
        var second = SignatureAlgorithms.Generate(SignatureAlgorithms.Sm2Sm3);
        var messages = Enumerable.Range(0, 5).Select(i => System.Text.Encoding.UTF8.GetBytes($"message {i}")).ToList();
        // Alternating keys and messages on one thread: each signature covers only its own message, under its own key.
        foreach (var (message, i) in messages.Select((m, i) => (m, i)))
        {
            var key = i % 3 == 2 ? second : first;
            var other = key == first ? second : first;
            var signature = SignatureAlgorithms.Sign(SignatureAlgorithms.Sm2Sm3, key.Private, message);
            Assert.True(SignatureAlgorithms.Verify(SignatureAlgorithms.Sm2Sm3, key.Public, message, signature));
            Assert.False(SignatureAlgorithms.Verify(SignatureAlgorithms.Sm2Sm3, other.Public, message, signature));
            Assert.All(messages.Where(m => m != message), m => Assert.False(SignatureAlgorithms.Verify(SignatureAlgorithms.Sm2Sm3, key.Public, m, signature)));
        }
    }

    [Fact]
    public void A_fixed_SM2_signature_over_the_vector_verifies_and_one_flipped_bit_does_not()
    {
        var key = SignatureAlgorithms.ParsePublicKey(Sm2PublicKey);
        Assert.Null(SignatureAlgorithms.KeyProblem(SignatureAlgorithms.Sm2Sm3, key));
        var data = EnvelopeCanonicalForm.Of(Vector());
        var signature = Convert.FromBase64String(Sm2Signature);
        Assert.True(SignatureAlgorithms.Verify(SignatureAlgorithms.Sm2Sm3, key, data, signature));
        data[^1] ^= 1;
        Assert.False(SignatureAlgorithms.Verify(SignatureAlgorithms.Sm2Sm3, key, data, signature));
        // Same key and bytes under another algorithm id: refused, not misread.
        Assert.False(SignatureAlgorithms.Verify(SignatureAlgorithms.EcdsaP256Sha256, key, EnvelopeCanonicalForm.Of(Vector()), signature));
        Assert.NotNull(SignatureAlgorithms.KeyProblem(SignatureAlgorithms.EcdsaP256Sha256, key));
    }

    public static TheoryData<string> Algorithms => new(SignatureAlgorithms.All);

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Every_algorithm_signs_on_one_path_and_any_covered_field_changed_breaks_the_signature(string algorithm)
    {
        var pair = SignatureAlgorithms.Generate(algorithm);
        var key = new NodeSigningKey("15-k1", algorithm, pair.Private);
        var directory = Directory(open: true, ("15", [Listed(key, pair.Public)]), ("51", []));
        var signed = Vector();
        EnvelopeSigner.Sign(signed, key);
        Assert.Equal((algorithm, "15-k1"), (signed.Signature.Type, signed.Signature.KeyId));
        Assert.Null(EnvelopeVerifier.Check(signed, directory, "51"));

        var resent = signed.Clone();
        resent.Attempt = 42; // re-sends keep the signature
        Assert.Null(EnvelopeVerifier.Check(resent, directory, "51"));

        Action<Envelope>[] changes =
        [
            e => e.MessageId += "x", e => e.MessageType = "LetterReturned", e => e.CorrelationId = "15T9999", e => e.CausationId = "",
            e => e.SentAt = new Timestamp { Seconds = e.SentAt.Seconds + 1, Nanos = e.SentAt.Nanos }, e => e.SchemaVersion = "1.1",
            e => e.Payload = ByteString.CopyFrom(0x0a, 0x03, 0x61, 0x62, 0x64), e => e.ReceiverProvince = "15",
        ];
        foreach (var change in changes)
        {
            var changed = signed.Clone();
            change(changed);
            Assert.Equal(SignatureCodes.Invalid, EnvelopeVerifier.Check(changed, directory, changed.ReceiverProvince == "15" ? "15" : "51")?.Code);
        }
    }

    [Fact]
    public void The_verifier_names_each_reason_an_envelope_is_refused_for()
    {
        var (k1, k1Public) = NewKey("15-k1");
        var (revoked, revokedPublic) = NewKey("15-old");
        var (expired, expiredPublic) = NewKey("15-2025");
        var (guangdong, guangdongPublic) = NewKey("44-k1");
        var sentAt = DateTimeOffset.UtcNow;
        var directory = Directory(open: false,
            ("15", [Listed(k1, k1Public), Listed(revoked, revokedPublic) with { Revoked = true },
                Listed(expired, expiredPublic) with { ValidFrom = sentAt.AddYears(-1), ValidTo = sentAt.AddDays(-1) }]),
            ("44", [Listed(guangdong, guangdongPublic)]),
            ("51", []));

        Envelope Sent(NodeSigningKey? key, string type = "FilingChanged")
        {
            var e = new Envelope
            {
                MessageId = $"15:x:{Guid.NewGuid():N}", MessageType = type, SenderProvince = "15", ReceiverProvince = "51",
                SentAt = Timestamp.FromDateTimeOffset(sentAt), SchemaVersion = "1.0", Payload = ByteString.CopyFromUtf8("p"), Attempt = 1,
            };
            if (key is not null) EnvelopeSigner.Sign(e, key);
            return e;
        }
        string? Code(Envelope e) => EnvelopeVerifier.Check(e, directory, "51")?.Code;

        Assert.Null(Code(Sent(k1)));
        Assert.Equal(SignatureCodes.Missing, Code(Sent(null)));
        Assert.Equal(SignatureCodes.KeyUnknown, Code(Sent(new NodeSigningKey("15-nope", k1.Algorithm, k1.PrivateKey))));
        var foreign = EnvelopeVerifier.Check(Sent(guangdong), directory, "51")!;
        Assert.Equal(SignatureCodes.KeyUnknown, foreign.Code);
        Assert.Contains("44", foreign.Message);
        Assert.Equal(SignatureCodes.KeyRevoked, Code(Sent(revoked)));
        Assert.Equal(SignatureCodes.KeyExpired, Code(Sent(expired)));
        // The true key id, signed with another key (a forger who knows the id).
        Assert.Equal(SignatureCodes.Invalid, Code(Sent(new NodeSigningKey("15-k1", k1.Algorithm, revoked.PrivateKey))));
        var relabelled = Sent(k1);
        relabelled.Signature.Type = SignatureAlgorithms.EcdsaP256Sha256;
        Assert.Equal(SignatureCodes.Invalid, Code(relabelled));
        Assert.Equal(SignatureCodes.NotPermitted, Code(Sent(k1, "ContactLetterSent")));
        Assert.Null(Code(Sent(k1, nameof(Receipt)))); // receipts answer whatever was sent: always allowed between members
        var unlisted = Sent(k1);
        unlisted.SenderProvince = "33";
        Assert.Equal(SignatureCodes.SenderUnknown, Code(unlisted));

        var past = TimeSpan.FromDays(7);
        var ahead = TimeSpan.FromMinutes(5);
        Assert.Null(EnvelopeVerifier.CheckFresh(Sent(k1), sentAt.AddDays(6), past, ahead));
        Assert.Equal(SignatureCodes.Stale, EnvelopeVerifier.CheckFresh(Sent(k1), sentAt.AddDays(8), past, ahead)?.Code);
        Assert.Equal(SignatureCodes.Stale, EnvelopeVerifier.CheckFresh(Sent(k1), sentAt.AddMinutes(-10), past, ahead)?.Code);
        var broken = Sent(k1);
        broken.SentAt = new Timestamp { Seconds = long.MaxValue, Nanos = -1 }; // out of range: refused, never an exception
        Assert.NotNull(EnvelopeVerifier.Check(broken, directory, "51"));
        Assert.Equal(SignatureCodes.Stale, EnvelopeVerifier.CheckFresh(broken, sentAt, past, ahead)?.Code);
    }

    [Theory]
    [InlineData("""{"provinces":[{"code":"15","kyes":[]}]}""", "kyes")]
    [InlineData("""{"provinces":[{"code":"1"}]}""", "two digits")]
    [InlineData("""{"provinces":[{"code":"15"},{"code":"15"}]}""", "twice")]
    [InlineData("""{"provinces":[{"code":"15","keys":[{"key_id":"a","public_key":"bm90IGEga2V5"}]}]}""", "key 'a'")]
    [InlineData("""{"provinces":[{"code":"15","keys":[{"key_id":"a","algorithm":"DSA","public_key":"x"}]}]}""", "unknown algorithm")]
    [InlineData("""{"provinces":[{"code":"15","topics":{"inbox":"elsewhere"}}]}""", "topics")]
    [InlineData("""{"nothing":1}""", "nothing")]
    public void A_directory_that_does_not_hold_is_refused_naming_what(string json, string named)
    {
        var ex = Assert.Throws<FormatException>(() => TrustDirectory.Parse(json));
        Assert.Contains(named, ex.Message);
    }

    [Fact]
    public void A_directory_refuses_duplicate_key_ids_keys_of_another_algorithm_and_backward_validity()
    {
        var sm2 = Convert.ToBase64String(SignatureAlgorithms.PublicKeyInfo(SignatureAlgorithms.Generate(SignatureAlgorithms.Sm2Sm3).Public));
        string File(string keys) => $$"""{"provinces":[{"code":"15","keys":[{{keys}}]},{"code":"51"}]}""";
        Assert.Contains("twice", Assert.Throws<FormatException>(() => TrustDirectory.Parse(File(
            $$"""{"key_id":"a","public_key":"{{sm2}}"},{"key_id":"a","public_key":"{{sm2}}"}"""))).Message);
        Assert.Contains("not a ECDSA", Assert.Throws<FormatException>(() => TrustDirectory.Parse(File(
            $$"""{"key_id":"a","algorithm":"ECDSA-P256-SHA256","public_key":"{{sm2}}"}"""))).Message);
        Assert.Contains("valid_to", Assert.Throws<FormatException>(() => TrustDirectory.Parse(File(
            $$"""{"key_id":"a","public_key":"{{sm2}}","valid_from":"2026-02-01T00:00:00Z","valid_to":"2026-01-01T00:00:00Z"}"""))).Message);
        var parsed = TrustDirectory.Parse(File($$"""{"key_id":"a","public_key":"{{sm2}}","valid_from":"2026-01-01T00:00:00+08:00"}"""));
        Assert.Equal(SignatureAlgorithms.Sm2Sm3, parsed.Find("15")!.FindKey("a")!.Algorithm); // SM2-SM3 unless named
        Assert.False(parsed.MaySend("15", "51", "FilingChanged")); // nothing is allowed unless listed
    }

    [Fact]
    public void Random_mutations_of_a_signed_envelopes_bytes_or_fields_never_verify()
    {
        var (key, publicKey) = NewKey("15-k1");
        var directory = Directory(open: true, ("15", [Listed(key, publicKey)]), ("51", []));
        var signed = Vector(attempt: 0); // attempt 0 is not on the wire: every byte left is covered
        signed.Signature.KeyId = "15-k1";
        signed.Signature.Type = key.Algorithm;
        EnvelopeSigner.Sign(signed, key);
        var bytes = signed.ToByteArray();
        Assert.Null(EnvelopeVerifier.Check(Envelope.Parser.ParseFrom(bytes), directory, "51"));

        var flip = Gen.Select(Gen.Int[0, bytes.Length - 1], Gen.Int[1, 255]).Array[1, 4].Select(flips =>
        {
            var copy = (byte[])bytes.Clone();
            foreach (var (at, mask) in flips) copy[at] ^= (byte)mask;
            return copy;
        });
        var field = Gen.Select(Gen.Int[0, 9], Gen.String[0, 20], Gen.Long).Select(t =>
        {
            var e = signed.Clone();
            var (which, text, number) = t;
            switch (which)
            {
                case 0: e.MessageId = e.MessageId == text ? text + "!" : text; break;
                case 1: e.MessageType = e.MessageType == text ? text + "!" : text; break;
                case 2: e.CorrelationId = e.CorrelationId == text ? text + "!" : text; break;
                case 3: e.CausationId = e.CausationId == text ? text + "!" : text; break;
                case 4: e.SchemaVersion = e.SchemaVersion == text ? text + "!" : text; break;
                case 5: e.SentAt = new Timestamp { Seconds = number == e.SentAt.Seconds ? number + 1 : number, Nanos = e.SentAt.Nanos }; break;
                case 6: e.Payload = ByteString.CopyFromUtf8(text + "\u0001"); break;
                case 7: e.Signature.Value = ByteString.CopyFromUtf8(text); break;
                case 8: e.Signature.KeyId = text == "15-k1" ? "15-k2" : text; break;
                default: e.Signature.Type = text == key.Algorithm ? text + "!" : text; break;
            }
            return e.ToByteArray();
        });

        Gen.Frequency((1, flip), (1, field)).Sample(mutated =>
        {
            Envelope e;
            try { e = Envelope.Parser.ParseFrom(mutated); }
            catch (InvalidProtocolBufferException) { return; } // unreadable: dead-lettered before any check
            Assert.NotNull(EnvelopeVerifier.Check(e, directory, "51"));
        }, iter: 3_000);
    }

    private static (NodeSigningKey Key, Org.BouncyCastle.Crypto.AsymmetricKeyParameter Public) NewKey(string keyId)
    {
        var pair = SignatureAlgorithms.Generate(SignatureAlgorithms.Sm2Sm3);
        return (new NodeSigningKey(keyId, SignatureAlgorithms.Sm2Sm3, pair.Private), pair.Public);
    }

    private static DirectoryKey Listed(NodeSigningKey key, Org.BouncyCastle.Crypto.AsymmetricKeyParameter publicKey) =>
        new(key.KeyId, key.Algorithm, publicKey, SignatureAlgorithms.PublicKeyInfo(publicKey), null, null, false);

    /// <summary>Open: everyone may send anything to anyone. Closed: 15 may send only FilingChanged (to 51 or itself); the rest anything.</summary>
    private static TrustDirectory Directory(bool open, params (string Code, DirectoryKey[] Keys)[] provinces) =>
        new(provinces.Select(p => new DirectoryProvince(p.Code, "", TopicNames.Inbox(p.Code), TopicNames.DeadLetter(p.Code), p.Keys,
            p.Code == "15" && !open
                ? [new SendRule(new HashSet<string> { "51", "15" }, new HashSet<string> { "FilingChanged" })]
                : [new SendRule(new HashSet<string> { "*" }, new HashSet<string> { "*" })])));
}
