using System.Text;

namespace Gateway.Idempotency.Tests;

public sealed class RequestHashTests
{
    [Fact]
    public void Same_method_and_bytes_give_the_same_sha256()
    {
        var a = RequestHash.Compute("Submit", "abc"u8);
        var b = RequestHash.Compute("Submit", "abc"u8);

        Assert.Equal(RequestHash.Length, a.Length);
        Assert.Equal(a, b);
    }

    [Fact]
    public void A_different_request_or_method_under_the_same_key_is_detected()
    {
        var original = RequestHash.Compute("Submit", "abc"u8);

        Assert.NotEqual(original, RequestHash.Compute("Submit", "abd"u8));
        Assert.NotEqual(original, RequestHash.Compute("Cancel", "abc"u8));
        // The method/body boundary is part of the hash.
        Assert.NotEqual(RequestHash.Compute("ab", "c"u8), RequestHash.Compute("a", "bc"u8));
    }

    [Fact]
    public void Cached_response_recognises_only_the_same_request()
    {
        var body = Encoding.UTF8.GetBytes("{\"transfer\":\"T-1\"}");
        var cached = new CachedResponse("Submit", RequestHash.Compute("Submit", body), [1], DateTimeOffset.UnixEpoch);

        Assert.True(cached.IsSameRequest("Submit", RequestHash.Compute("Submit", body)));
        Assert.False(cached.IsSameRequest("Submit", RequestHash.Compute("Submit", [.. body, 0x20])));
        Assert.False(cached.IsSameRequest("Cancel", RequestHash.Compute("Submit", body)));
    }

    [Fact]
    public void Codec_round_trips_with_the_records_expiry_and_rejects_truncated_bytes()
    {
        var expiresAt = new DateTimeOffset(2026, 3, 3, 8, 0, 0, 123, TimeSpan.Zero);
        var value = new CachedResponse("Submit·提交", RequestHash.Compute("Submit", [1, 2]), [], expiresAt);

        var encoded = CachedResponseCodec.Encode(value);
        var decoded = CachedResponseCodec.TryDecode(encoded);

        Assert.NotNull(decoded);
        Assert.Equal(value.Method, decoded.Method);
        Assert.Equal(value.RequestHash, decoded.RequestHash);
        Assert.Empty(decoded.Response);
        Assert.Equal(expiresAt, decoded.ExpiresAt);
        Assert.Null(CachedResponseCodec.TryDecode(encoded.AsSpan(0, encoded.Length - 1)));
        Assert.Null(CachedResponseCodec.TryDecode([]));
    }
}
