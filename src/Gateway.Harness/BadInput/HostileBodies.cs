namespace Gateway.Harness.BadInput;

/// <summary>
/// Request bodies as a broken or hostile client sends them, for a raw byte marshaller: random bytes, a valid body cut
/// short, a length prefix that lies, a string that is not UTF-8, groups nested deeper than the decoder allows.
/// Shared by the bad-input run, the benchmark's hostile calls and the malformed-body tests.
/// </summary>
public static class HostileBodies
{
    /// <summary>Groups of field 15 opened <paramref name="depth"/> times, then closed: deeper than the decoder allows at 200.</summary>
    public static byte[] Nested(int depth)
    {
        const byte start = (15 << 3) | 3, end = (15 << 3) | 4;
        return [.. Enumerable.Repeat(start, depth), .. Enumerable.Repeat(end, depth)];
    }

    /// <summary>A protobuf base-128 varint.</summary>
    public static byte[] Varint(int value)
    {
        var bytes = new List<byte>();
        for (var v = (uint)value; ; v >>= 7)
        {
            if (v < 0x80) { bytes.Add((byte)v); return [.. bytes]; }
            bytes.Add((byte)(v | 0x80));
        }
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary><paramref name="length"/> random bytes from <paramref name="random"/>.</summary>
    public static byte[] Garbage(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>The first <paramref name="keep"/> bytes of a valid body (at least one byte is cut).</summary>
    public static byte[] Truncated(byte[] valid, int keep) => valid.Length < 2 ? [0x0A, 0x10] : valid[..Math.Clamp(keep, 1, valid.Length - 1)];

    /// <summary>
    /// The valid body cut inside one of its length-delimited fields, so the field claims more bytes than remain and the
    /// body cannot decode. A cut between two fields could leave a shorter request that is still valid.
    /// </summary>
    public static byte[] CutInsideField(byte[] valid, Random random)
    {
        var cuts = new List<(int Start, int Length)>();
        var input = new Google.Protobuf.CodedInputStream(valid);
        while (!input.IsAtEnd)
        {
            var tag = input.ReadTag();
            if (Google.Protobuf.WireFormat.GetTagWireType(tag) == Google.Protobuf.WireFormat.WireType.LengthDelimited)
            {
                var bytes = input.ReadBytes();
                if (bytes.Length >= 2) cuts.Add(((int)input.Position - bytes.Length, bytes.Length));
            }
            else input.SkipLastField();
        }
        if (cuts.Count == 0) return LyingLength(random.Next(16, 1_000));
        var (start, length) = cuts[random.Next(cuts.Count)];
        return valid[..(start + 1 + random.Next(length - 1))];
    }

    /// <summary>Field 1 (a string in every request here) claiming <paramref name="claimed"/> bytes, followed by two.</summary>
    public static byte[] LyingLength(int claimed) => Concat([0x0A], Varint(Math.Max(claimed, 3)), [0x35, 0x31]);

    /// <summary>Field 1 as a string of "51" followed by bytes that are not UTF-8.</summary>
    public static byte[] InvalidUtf8() => [0x0A, 0x04, 0x35, 0x31, 0xFF, 0xFE];

    /// <summary>A valid body followed by deep groups inside field 1 (a message field in the request types that have one).</summary>
    public static byte[] NestedInField(int depth)
    {
        var inner = Nested(depth);
        return Concat([0x0A], Varint(inner.Length), inner);
    }

    /// <summary>A field number this API never defines, as a varint: the body decodes, with an unknown field.</summary>
    public static byte[] UnknownField(int fieldNumber, long value) =>
        Concat(Varint((fieldNumber << 3) | 0), Varint((int)(value & 0x7FFFFFFF)));
}
