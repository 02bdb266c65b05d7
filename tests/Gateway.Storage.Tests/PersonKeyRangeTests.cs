namespace Gateway.Storage.Tests;

public sealed class PersonKeyRangeTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    public void Slices_cover_every_person_key_exactly_once(int slices)
    {
        var ranges = Enumerable.Range(0, slices).Select(s => PersonKeyRange.Slice(s, slices)).ToList();
        var random = new Random(slices);
        for (var i = 0; i < 2_000; i++)
        {
            var key = Convert.ToHexStringLower(Enumerable.Range(0, 16).Select(_ => (byte)random.Next(256)).ToArray());
            Assert.Single(ranges, r => string.CompareOrdinal(key, r.From) >= 0 && (r.Before is null || string.CompareOrdinal(key, r.Before) < 0));
        }
        Assert.Equal(("", (string?)null), (ranges[0].From, ranges[^1].Before));
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(4, 4)]
    [InlineData(-1, 4)]
    public void Slice_counts_other_than_powers_of_two_up_to_16_are_refused(int slice, int slices) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PersonKeyRange.Slice(slice, slices));
}
