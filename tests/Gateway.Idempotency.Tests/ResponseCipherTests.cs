using System.Text;

namespace Gateway.Idempotency.Tests;

public sealed class ResponseCipherTests
{
    private readonly ResponseCipher _cipher = new(ResponseCipher.NewSecret());

    [Fact]
    public void Sealed_response_opens_only_under_its_key_name_and_hides_its_bytes()
    {
        var plaintext = Encoding.UTF8.GetBytes("王建华 150102198803154417");

        var sealedValue = _cipher.Seal(plaintext, "gw:15:idem:a");

        Assert.Equal(plaintext, _cipher.Open(sealedValue, "gw:15:idem:a"));
        Assert.Null(_cipher.Open(sealedValue, "gw:15:idem:b"));
        Assert.True(sealedValue.AsSpan().IndexOf("150102198803154417"u8) < 0);
        // A fresh nonce each time: the same response never seals to the same bytes.
        Assert.NotEqual(sealedValue, _cipher.Seal(plaintext, "gw:15:idem:a"));
    }

    [Fact]
    public void Tampered_or_truncated_value_does_not_open()
    {
        var sealedValue = _cipher.Seal([1, 2, 3], "k");
        var tampered = sealedValue.ToArray();
        tampered[^1] ^= 0x01;

        Assert.Null(_cipher.Open(tampered, "k"));
        Assert.Null(_cipher.Open(sealedValue.AsSpan(0, 20), "k"));
        Assert.Null(new ResponseCipher(ResponseCipher.NewSecret()).Open(sealedValue, "k"));
    }

    [Fact]
    public void Key_names_are_keyed_hashes_stable_for_one_secret()
    {
        var secret = ResponseCipher.NewSecret();
        var name = new ResponseCipher(secret).KeyName("issue-150102198803154417");

        Assert.Matches("^[0-9a-f]{64}$", name);
        Assert.Equal(name, new ResponseCipher(secret).KeyName("issue-150102198803154417"));
        Assert.NotEqual(name, _cipher.KeyName("issue-150102198803154417"));
        // Not the plain SHA-256 that error details carry: a guessed key cannot be checked against Redis without the secret.
        Assert.NotEqual(IdempotencyKeyHash.Of("issue-150102198803154417"), name);
    }

    [Fact]
    public void Secret_of_the_wrong_size_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new ResponseCipher(new byte[16]));
    }

    [Fact]
    public void Key_hash_is_the_sha256_hex_a_caller_can_compute_and_logs_print_its_prefix()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", IdempotencyKeyHash.Of("abc"));
        Assert.Equal("ba7816bf8f01", IdempotencyKeyHash.ForLog("abc"));
    }
}
